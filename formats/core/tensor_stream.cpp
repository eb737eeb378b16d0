// Tensor streams: raw tensors decoded here for every family, encoded ones by theirs.
#include "ckpt/tensor_stream.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "ckpt/quant.hpp"
#include "family.hpp"

namespace ckpt {

namespace {

Error read_error(const ByteSource& src, uint64_t off) {
  return Error{ErrorCode::io_read, "cannot read " + src.name() + " at byte " + std::to_string(off), off};
}

uint64_t complete_groups(const Checkpoint& cp, const TensorInfo& t) {
  const uint64_t gs = uint64_t(cp.config ? cp.config->group_size : 0);
  if (gs == 0) return 0;
  const uint64_t by_data = t.data_available / gs;
  const uint64_t by_scales = t.scale_available / 4;
  return std::min({by_data, by_scales, t.spec.numel / gs});
}

// Converts n raw little-endian elements (`bytes` holds n * width bytes) to fp32. Eigen's
// half and bfloat16 do the 16-bit floats exactly; f64 rounds to nearest.
template <class T>
void convert(const uint8_t* bytes, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, bytes + sizeof(T) * i, sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

void widen(DType d, const uint8_t* bytes, size_t n, float* out) {
  switch (d) {
    case DType::f32:
      std::memcpy(out, bytes, n * 4);
      break;  // little-endian host (checked in CMake)
    case DType::bf16:
      convert<Eigen::bfloat16>(bytes, n, out);
      break;
    case DType::f16:
      convert<Eigen::half>(bytes, n, out);
      break;
    case DType::f64:
      convert<double>(bytes, n, out);
      break;
    case DType::i8:
      convert<int8_t>(bytes, n, out);
      break;
    case DType::i16:
      convert<int16_t>(bytes, n, out);
      break;
    case DType::i32:
      convert<int32_t>(bytes, n, out);
      break;
    case DType::i64:
      convert<int64_t>(bytes, n, out);
      break;
    case DType::u8:
      convert<uint8_t>(bytes, n, out);
      break;
    case DType::u16:
      convert<uint16_t>(bytes, n, out);
      break;
    case DType::u32:
      convert<uint32_t>(bytes, n, out);
      break;
    case DType::u64:
      convert<uint64_t>(bytes, n, out);
      break;
    case DType::boolean:
      for (size_t i = 0; i < n; ++i) out[i] = bytes[i] != 0 ? 1.0f : 0.0f;
      break;
    case DType::q8_0:
    case DType::bfp8_b:
    case DType::bfp4_b:  // not stored element by element: their family decodes them
    case DType::opaque:
      break;
  }
}

}  // namespace

uint64_t streamable_elements(const Checkpoint& cp, const TensorInfo& t) {
  if (t.place.storage == Storage::encoded) return t.status == TensorStatus::complete ? t.spec.numel : 0;
  if (t.spec.dtype == DType::q8_0) {
    const uint64_t gs = uint64_t(cp.config ? cp.config->group_size : 0);
    return complete_groups(cp, t) * gs;
  }
  const uint32_t w = dtype_width(t.spec.dtype);
  return w ? std::min(t.spec.numel, t.data_available / w) : 0;
}

Result<uint64_t> stream_q8(const Checkpoint& cp, const TensorInfo& t, const Q8Sink& sink, size_t chunk_elems) {
  if (t.spec.dtype != DType::q8_0) return Error{ErrorCode::stream_dtype, t.spec.name + " is not Q8_0", {}};
  if (!cp.config || cp.config->group_size <= 0 || cp.config->group_size > cp.limits.max_group_size)
    return Error{
        ErrorCode::stream_group_size,
        t.spec.name + ": cannot stream groups of " + std::to_string(cp.config ? cp.config->group_size : 0) + " values",
        {}};
  const ByteSource& src = cp.source(t.place.source);
  const size_t gs = size_t(cp.config->group_size);
  const uint64_t groups = complete_groups(cp, t);
  if (groups == 0) return uint64_t(0);  // nothing present: allocate nothing
  // Buffers hold whole groups that exist in the file, never more than a chunk's worth.
  const size_t per_chunk =
      size_t(std::min<uint64_t>(std::max<size_t>(1, chunk_elems / gs), std::max<uint64_t>(groups, 1)));
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

Result<bool> read_raw_f32(const Checkpoint& cp, const TensorInfo& t, uint64_t first, size_t n, float* out) {
  const uint32_t w = dtype_width(t.spec.dtype);
  if (t.place.storage != Storage::raw || w == 0)
    return Error{ErrorCode::stream_dtype, t.spec.name + ": not stored element by element", {}};
  const ByteSource& src = cp.source(t.place.source);
  const uint64_t off = t.place.offset + first * w;
  if (t.spec.dtype == DType::f32) {
    if (!src.read(off, out, n * 4)) return read_error(src, off);
    return true;
  }
  // Other types: read into a bounce buffer, then widen.
  std::vector<uint8_t> raw(n * w);
  if (!src.read(off, raw.data(), raw.size())) return read_error(src, off);
  widen(t.spec.dtype, raw.data(), n, out);
  return true;
}

Result<uint64_t> scan_f32(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                          std::vector<Finding>& findings, size_t chunk_elems) {
  if (t.place.storage != Storage::encoded) return stream_f32(cp, t, sink, chunk_elems);
  const core::FormatFamily* fam = core::family_of(cp.format);
  if (!fam) return Error{ErrorCode::stream_dtype, t.spec.name + ": no family decodes it", {}};
  return fam->scan_encoded(cp, t, sink, std::max<size_t>(chunk_elems, 1), findings);
}

std::optional<uint64_t> element_offset(const Checkpoint& cp, const TensorInfo& t, uint64_t element) {
  if (t.place.storage == Storage::encoded) {
    const core::FormatFamily* fam = core::family_of(cp.format);
    return fam ? fam->element_offset(cp, t, element) : std::nullopt;
  }
  const uint32_t w = t.spec.dtype == DType::q8_0 ? 1 : dtype_width(t.spec.dtype);
  if (w == 0 || element >= t.spec.numel) return std::nullopt;
  return t.place.offset + element * w;
}

Result<uint64_t> stream_f32(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink, size_t chunk_elems) {
  chunk_elems = std::max<size_t>(chunk_elems, 1);
  if (t.place.storage == Storage::encoded) {
    const core::FormatFamily* fam = core::family_of(cp.format);
    if (!fam) return Error{ErrorCode::stream_dtype, t.spec.name + ": no family decodes it", {}};
    return fam->stream_encoded(cp, t, sink, chunk_elems);
  }
  if (t.spec.dtype == DType::q8_0) {
    std::vector<float> out;
    auto r = stream_q8(
        cp, t,
        [&](const Q8Chunk& c) {
          out.resize(c.n_groups * c.group_size);
          dequantize_q8_0(c.q, c.scales, c.n_groups, c.group_size, out.data());
          return sink(c.first_group * c.group_size, out.data(), out.size());
        },
        chunk_elems);
    if (!r) return r.error();
    return *r * uint64_t(cp.config->group_size);
  }
  const uint64_t n_elems = streamable_elements(cp, t);
  if (dtype_width(t.spec.dtype) == 0) return Error{ErrorCode::stream_dtype, t.spec.name + ": unsupported dtype", {}};
  const size_t cap = size_t(std::min<uint64_t>(chunk_elems, std::max<uint64_t>(n_elems, 1)));
  std::unique_ptr<float[]> buf(new float[cap]);  // uninitialised: filled by each read
  for (uint64_t i = 0; i < n_elems; i += cap) {
    const size_t n = size_t(std::min<uint64_t>(cap, n_elems - i));
    auto r = read_raw_f32(cp, t, i, n, buf.get());
    if (!r) return r.error();
    if (!sink(i, buf.get(), n)) return i + n;
  }
  return n_elems;
}

}  // namespace ckpt
