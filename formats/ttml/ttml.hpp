#pragma once
// The tt-train family beyond the msgpack reader's internals: the format, the one table
// between tt-train's Llama parameter names and the canonical names (read in one
// direction, written in the other), the config a conversion needs, element lookup for
// --at, and the reference writer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/byte_sink.hpp"
#include "ckpt/checkpoint.hpp"
#include "ckpt/convert.hpp"
#include "ckpt/locate.hpp"
#include "ckpt/views.hpp"
#include "ckpt/weights.hpp"
#include "msgpack_model.hpp"

namespace ckpt::ttml {

inline constexpr std::string_view kMsgpackTags[] = {"ttml", "scan", "training_state", "weights"};
inline constexpr FormatInfo kMsgpackInfo{"ttml-msgpack", "ttml", "tt-train msgpack weights (MsgPackFile)",
                                         kMsgpackTags};
inline constexpr Format msgpack_weights{kMsgpackInfo};

// tt-train's checkpoints since 2025-12-10 (FlatBufferFile): a folder of metadata.flatbuffer
// and one ttnn .tensorbin per tensor; read as the folder or through its metadata file.
// "tensorbin" is the validate scope of their rules (flatbuffer.*, tensorbin.*, ttckpt.*).
inline constexpr std::string_view kFlatbufferTags[] = {"tensorbin", "folder", "scan", "training_state", "weights"};
inline constexpr FormatInfo kFlatbufferInfo{
    "ttml-flatbuffer", "ttml",
    "tt-train checkpoint folder (metadata.flatbuffer + one .tensorbin per tensor), or its metadata.flatbuffer",
    kFlatbufferTags};
inline constexpr Format ttml_flatbuffer{kFlatbufferInfo};
// That folder packed as a ustar archive (and the PR-branch tar of <prefix>.flatbuffer groups).
inline constexpr std::string_view kTarTags[] = {"tensorbin", "tar", "scan", "training_state", "weights"};
inline constexpr FormatInfo kTarInfo{"ttml-tar", "ttml", "a tt-train checkpoint folder packed as a ustar archive",
                                     kTarTags};
inline constexpr Format ttml_tar{kTarInfo};
// One ttnn tensor file (ttnn.dump_tensor / dump_tensor_flatbuffer).
inline constexpr std::string_view kTensorbinTags[] = {"tensorbin", "scan", "weights"};
inline constexpr FormatInfo kTensorbinInfo{
    "ttnn-tensorbin", "ttml", "one ttnn .tensorbin tensor file (flatbuffer header + shard buffers)", kTensorbinTags};
inline constexpr Format ttnn_tensorbin{kTensorbinInfo};

// The vocabulary multiple tt-train pads embeddings and classifiers to.
constexpr int64_t kVocabMultiple = 32;
inline int64_t padded_vocab(int64_t v) { return (v + kVocabMultiple - 1) / kVocabMultiple * kVocabMultiple; }

// One kind of tt-train Llama parameter and the canonical tensors it holds, in both
// directions (FORMATS.md's table). "{i}" stands for the layer. kv_linear holds wk's rows,
// then wv's.
struct LlamaParam {
  std::string_view ttml;          // the name below the model prefix
  std::string_view canonical[2];  // the canonical names; the second is empty for one
  bool vocab;                     // rows padded with zeros to a multiple of 32
};
inline constexpr LlamaParam kLlamaParams[] = {
    {"tok_emb/weight", {"tok_embeddings.weight", ""}, true},
    {"llama_block_{i}/attention_norm/gamma", {"layers.{i}.attention_norm.weight", ""}, false},
    {"llama_block_{i}/attention/q_linear/weight", {"layers.{i}.attention.wq.weight", ""}, false},
    {"llama_block_{i}/attention/kv_linear/weight",
     {"layers.{i}.attention.wk.weight", "layers.{i}.attention.wv.weight"},
     false},
    {"llama_block_{i}/attention/out_linear/weight", {"layers.{i}.attention.wo.weight", ""}, false},
    {"llama_block_{i}/mlp_norm/gamma", {"layers.{i}.ffn_norm.weight", ""}, false},
    {"llama_block_{i}/mlp/w1/weight", {"layers.{i}.feed_forward.w1.weight", ""}, false},
    {"llama_block_{i}/mlp/w2/weight", {"layers.{i}.feed_forward.w2.weight", ""}, false},
    {"llama_block_{i}/mlp/w3/weight", {"layers.{i}.feed_forward.w3.weight", ""}, false},
    {"ln_fc/gamma", {"norm.weight", ""}, false},
    {"fc/weight", {"output.weight", ""}, true},
};

// `pattern` with "{i}" replaced by the layer number.
std::string with_layer(std::string_view pattern, int64_t layer);

// The canonical names of a Llama parameter named `rest` below the model prefix (e.g.
// "llama_block_3/attention/kv_linear/weight" gives wk and wv of layer 3); empty when
// `rest` is not a Llama parameter.
std::vector<std::string> llama_canonical_names(std::string_view rest);

// The msgpack index of a checkpoint this family opened, or nullptr.
inline const TtmlInfo* info_of(const Checkpoint& cp) { return cp.data_as<TtmlInfo>(); }

// The canonical views of a tt-train checkpoint (msgpack, flatbuffer folder, tar): Llama
// parameters under canonical names (4-D shapes squeezed, kv_linear as two views), every
// other tensor (optimizer state, gradients) under its own name.
std::vector<CanonicalView> ttml_views(const Checkpoint& cp);

// What a Llama model file says about its config (everything but n_heads and seq_len).
struct LlamaShape {
  int64_t dim = 0, hidden_dim = 0, n_layers = 0;
  int64_t vocab_rows = 0;         // embedding rows, padded to a multiple of 32
  int64_t kv_rows = 0;            // kv_linear rows: 2 x kv_dim
  bool shared_classifier = true;  // no fc/weight
};
// Fails with convert_input naming the missing tensor, or for a model that is not Llama.
Result<LlamaShape> llama_shape(const Checkpoint& cp);

// The llama2.c config of a Llama model file. The file does not store n_heads or seq_len:
// they are passed in; n_kv_heads derives from kv_linear's rows / 2 / (dim / n_heads);
// vocab_size defaults to the padded embedding rows. shared_classifier is false when
// `fc/weight` is present. Fails with convert_input naming what is missing or
// inconsistent.
Result<ModelConfig> llama_config(const Checkpoint& cp, int64_t n_heads, std::optional<int64_t> vocab_size,
                                 int64_t seq_len);

// One element of a msgpack data array (or raw numpy bytes) found by file offset.
struct ElementHit {
  uint64_t element = 0;  // flat index
  uint64_t start = 0;    // first byte of the element
  uint32_t length = 0;   // its bytes
  std::string type;      // "float64", "float32", "uint", "int", "<f4", ...
  std::optional<double> value;
};
// Finds the element of tensor `t` holding byte `offset`; nullopt when the offset is not
// inside its elements (array header, or past the elements present).
std::optional<ElementHit> element_at(const ByteSource& src, const TtmlTensor& t, uint64_t offset);

// What lives at a byte of a msgpack file: the map header, a key, the [variant, payload]
// header, a payload, or one element of a tensor's data array (with its value).
Location locate_msgpack(const Checkpoint& cp, uint64_t offset);

// Writes a Llama model the way tt-train's C++ MsgPackFile writes it: one map, keys in
// byte-wise lexicographic order, values [variant, payload]; each parameter as
// value/{shape,data_type,layout,storage_type,data} + requires_grads + has_grads; floats
// that are integral as msgpack integers, others as float32; the vocabulary padded with
// zero rows to a multiple of 32. Fails with the source's or the sink's error.
Result<WriteStats> write_llama_msgpack(ByteSink& out, const ModelConfig& c, const WeightSource& w,
                                       const std::string& prefix = "llama/llama");

}  // namespace ckpt::ttml
