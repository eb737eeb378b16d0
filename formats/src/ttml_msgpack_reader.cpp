// tt-train msgpack weights. Placeholder until the streaming reader lands: the format is
// never detected, and forcing it reports that it is not supported yet.
#include "ckpt/checkpoint.hpp"
#include "ckpt/tensor_stream.hpp"

namespace ckpt::detail {

bool looks_like_ttml_msgpack(const ByteSource&) { return false; }

Result<Checkpoint> open_ttml_msgpack(const ByteSource&, Checkpoint) {
  return Error{"detect.unsupported", "ttml-msgpack reading is not built yet", uint64_t(0)};
}

Result<uint64_t> stream_ttml_f32(const ByteSource&, const Checkpoint&, const TensorInfo& t, const F32Sink&, size_t) {
  return Error{"stream.dtype", t.spec.name + ": ttml-msgpack streaming is not built yet", {}};
}

}  // namespace ckpt::detail
