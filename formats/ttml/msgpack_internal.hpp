#pragma once
// Internal: the stages of reading a tt-train msgpack file. Each stage is its own file:
// the streaming index (ttml_index.cpp), grouping keys into tensors and metadata
// (ttml_tensors.cpp), the naming map (ttml_names.cpp).
#include <string>

#include "ckpt/checkpoint.hpp"
#include "ckpt/tensor_stream.hpp"
#include "msgpack_model.hpp"

namespace ckpt::ttml {

// Stage 1: walks the file once with the bounded tokenizer and fills info.entries
// (every key, variant, msgpack type, byte range, array census) and the structural
// findings (truncated, length, depth, bad byte, value shape, duplicate key, trailing).
void index_ttml(const ByteSource& src, Checkpoint& cp, TtmlInfo& info);

// Stage 2: decides the era, checks variants against payload types, groups entries into
// tensors (cp.tensors + info.tensors) and metadata (cp.metadata).
void group_ttml_tensors(Checkpoint& cp, TtmlInfo& info);

// Stage 3: name_ttml_tensors (model_names.hpp) recognises the model and its prefix; the
// canonical names then come from ttml_views.

// One element of raw numpy bytes of type `type` ("<f4", ">i2", "|u1", ...) and `size`
// bytes, widened to double.
double decode_numpy_element(const uint8_t* p, const std::string& type, uint32_t size);

// Detection: a top-level map whose first key is a string.
bool looks_like_ttml_msgpack(const ByteSource& src);
// The staged open (index, tensors, names).
Checkpoint open_msgpack(const ByteSource& src, const OpenOptions& opt);
// The value stream of one tensor: msgpack numbers of any width, or raw numpy bytes.
Result<uint64_t> stream_msgpack(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink, size_t chunk_elems);

// Helpers shared by the stages.
std::string printable_preview(const std::vector<uint8_t>& bytes, uint64_t full_len, bool is_str);
void add_finding(Checkpoint& cp, std::string rule, Severity sev, std::string message, std::optional<uint64_t> offset,
                 std::string subject = {});

}  // namespace ckpt::ttml
