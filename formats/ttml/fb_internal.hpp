#pragma once
// Internal: the tt-train flatbuffer readers and writers behind the family (family.cpp).
// Opening (fb_open.cpp), streaming and scanning (fb_stream.cpp), --at (fb_locate.cpp),
// writing (fb_writer.cpp).
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ckpt/byte_sink.hpp"
#include "ckpt/checkpoint.hpp"
#include "ckpt/convert.hpp"
#include "ckpt/folder.hpp"
#include "ckpt/locate.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/weights.hpp"
#include "fb_model.hpp"

namespace ckpt::ttml {

// Detection (headers only).
bool looks_like_metadata_file(const ByteSource& src, const OpenLimits& limits);
// A tar holding a .flatbuffer member, or one whose headers break before the end: its
// index, or nullptr with `why`. `broken` says the walk stopped at a bad header.
std::shared_ptr<const FamilyData> probe_checkpoint_tar(const ByteSource& src, const OpenLimits& limits,
                                                       std::string& why, bool& broken);

// Opening. Each reads the metadata and every .tensorbin header, never tensor data.
// The folder fails (detect_forced) only when it holds no *.flatbuffer at all.
Result<Checkpoint> open_fb_folder(const Folder& dir, const OpenOptions& opt);
Checkpoint open_fb_metadata_file(const ByteSource& src, const OpenOptions& opt);
Checkpoint open_tensorbin_file(const ByteSource& src, const OpenOptions& opt);
Checkpoint open_fb_tar(const ByteSource& src, const OpenOptions& opt, const FamilyData* indexed);

// Values: the logical elements in row-major order; the scan also reports non-zero tile
// padding (tensorbin.tile_padding) and shared exponents of 255 (tensorbin.bfp_exponent).
Result<uint64_t> stream_fb(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink, size_t chunk_elems,
                           std::vector<Finding>* scan_findings);
std::optional<uint64_t> fb_element_offset(const Checkpoint& cp, const TensorInfo& t, uint64_t element);

// --at: in a .tensorbin, the size prefix, the header, or an element with its tile, face
// and position (padding included); in a tar, the member headers and each member's
// bytes; in metadata, the pair a byte belongs to.
Location locate_fb(const Checkpoint& cp, uint64_t offset);

// Writers: what tt-train's FlatBufferFile writes for a Llama model saved with
// --save_and_exit (write_module under `prefix`): one bfloat16 TILE .tensorbin per
// parameter and metadata.flatbuffer; as a folder, or as a ustar archive of that folder.
// Creates file `name` of the output folder, lets `fill` write it, and closes it.
using FolderFileWriter =
    std::function<Result<bool>(const std::string& name, const std::function<Result<bool>(ByteSink&)>& fill)>;
Result<WriteStats> write_fb_folder(const FolderFileWriter& write_file, const ModelConfig& c, const WeightSource& w,
                                   const std::string& prefix);
Result<WriteStats> write_fb_tar(ByteSink& out, const ModelConfig& c, const WeightSource& w, const std::string& prefix);

}  // namespace ckpt::ttml
