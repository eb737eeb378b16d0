#include "ckpt/tensor_stream.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "ckpt/quant.hpp"

namespace ckpt {

namespace {

Error read_error(const ByteSource& src, uint64_t off) {
  return Error{"io.read", "cannot read " + src.name() + " at byte " + std::to_string(off), off};
}

uint64_t complete_groups(const Checkpoint& cp, const TensorInfo& t) {
  const uint64_t gs = uint64_t(cp.config ? cp.config->group_size : 0);
  if (gs == 0) return 0;
  const uint64_t by_data = t.data_available / gs;
  const uint64_t by_scales = t.scale_available / 4;
  return std::min({by_data, by_scales, t.spec.numel / gs});
}

}  // namespace

Result<uint64_t> stream_q8(const ByteSource& src, const Checkpoint& cp, const TensorInfo& t, const Q8Sink& sink,
                           size_t chunk_elems) {
  if (t.spec.dtype != DType::q8_0) return Error{"stream.dtype", t.spec.name + " is not Q8_0", {}};
  if (!cp.config || cp.config->group_size <= 0 || cp.config->group_size > kMaxStreamGroupSize)
    return Error{"stream.group_size", t.spec.name + ": cannot stream groups of " +
                                          std::to_string(cp.config ? cp.config->group_size : 0) + " values",
                 {}};
  const size_t gs = size_t(cp.config->group_size);
  const uint64_t groups = complete_groups(cp, t);
  if (groups == 0) return uint64_t(0);  // nothing present: allocate nothing
  // Buffers hold whole groups that exist in the file, never more than a chunk's worth.
  const size_t per_chunk = size_t(std::min<uint64_t>(std::max<size_t>(1, chunk_elems / gs), std::max<uint64_t>(groups, 1)));
  // Uninitialised buffers: every byte handed to the sink was read first, and zeroing
  // megabytes per tensor showed up in profiles.
  std::unique_ptr<int8_t[]> q(new int8_t[per_chunk * gs]);
  std::unique_ptr<float[]> s(new float[per_chunk]);
  for (uint64_t g = 0; g < groups; g += per_chunk) {
    const size_t n = size_t(std::min<uint64_t>(per_chunk, groups - g));
    const uint64_t qoff = t.place.offset + g * gs, soff = t.place.scale_offset + g * 4;
    if (!src.read(qoff, q.get(), n * gs)) return read_error(src, qoff);
    if (!src.read(soff, s.get(), n * 4)) return read_error(src, soff);
    if (!sink(Q8Chunk{g, n, gs, q.get(), s.get()})) return g + n;
  }
  return groups;
}

Result<uint64_t> stream_f32(const ByteSource& src, const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                            size_t chunk_elems) {
  if (cp.format == Format::ttml_msgpack) return detail::stream_ttml_f32(src, cp, t, sink, chunk_elems);
  if (t.spec.dtype == DType::q8_0) {
    std::vector<float> out;
    auto r = stream_q8(
        src, cp, t,
        [&](const Q8Chunk& c) {
          out.resize(c.n_groups * c.group_size);
          dequantize_q8_0(c.q, c.scales, c.n_groups, c.group_size, out.data());
          return sink(c.first_group * c.group_size, out.data(), out.size());
        },
        chunk_elems);
    if (!r) return r.error();
    return *r * uint64_t(cp.config->group_size);
  }
  if (t.spec.dtype != DType::f32) return Error{"stream.dtype", t.spec.name + ": unsupported dtype", {}};
  const uint64_t n_elems = std::min(t.spec.numel, t.data_available / 4);
  const size_t cap = size_t(std::min<uint64_t>(chunk_elems, std::max<uint64_t>(n_elems, 1)));
  std::unique_ptr<float[]> buf(new float[cap]);  // uninitialised: filled by each read
  for (uint64_t i = 0; i < n_elems; i += cap) {
    const size_t n = size_t(std::min<uint64_t>(cap, n_elems - i));
    const uint64_t off = t.place.offset + i * 4;
    // Files are little-endian and so is every host we build for (checked in CMake).
    if (!src.read(off, buf.get(), n * 4)) return read_error(src, off);
    if (!sink(i, buf.get(), n)) return i + n;
  }
  return n_elems;
}

}  // namespace ckpt
