#include "element_decode.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

#include "ckpt/checked.hpp"
#include "torch_codes.hpp"

namespace ckpt::torch {

namespace {

template <class T>
void convert(const uint8_t* src, size_t count, float* dst) {
  for (size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

void convert_half(const uint8_t* src, size_t count, float* dst) {
  for (size_t i = 0; i < count; ++i) {
    uint16_t bits;
    std::memcpy(&bits, src + 2 * i, 2);
    dst[i] = static_cast<float>(Eigen::numext::bit_cast<Eigen::half>(bits));
  }
}

void convert_bf16(const uint8_t* src, size_t count, float* dst) {
  for (size_t i = 0; i < count; ++i) {
    uint16_t bits;
    std::memcpy(&bits, src + 2 * i, 2);
    dst[i] = static_cast<float>(Eigen::numext::bit_cast<Eigen::bfloat16>(bits));
  }
}

Error range_error(const std::string& what) {
  return Error{ErrorCode::io_read, what, {}, std::string(errc::decode_range)};
}

}  // namespace

bool decodable_to_f32(TorchDType t) {
  switch (t) {
    case TorchDType::f32:
    case TorchDType::f64:
    case TorchDType::f16:
    case TorchDType::bf16:
    case TorchDType::i64:
    case TorchDType::i32:
    case TorchDType::i16:
    case TorchDType::i8:
    case TorchDType::u8:
    case TorchDType::u16:
    case TorchDType::u32:
    case TorchDType::u64:
    case TorchDType::boolean:
      return true;
    default:
      return false;
  }
}

bool decode_to_f32(TorchDType t, const uint8_t* src, size_t count, float* dst) {
  switch (t) {
    case TorchDType::f32:
      std::memcpy(dst, src, count * 4);
      return true;
    case TorchDType::f64:
      convert<double>(src, count, dst);
      return true;
    case TorchDType::f16:
      convert_half(src, count, dst);
      return true;
    case TorchDType::bf16:
      convert_bf16(src, count, dst);
      return true;
    case TorchDType::i64:
      convert<int64_t>(src, count, dst);
      return true;
    case TorchDType::i32:
      convert<int32_t>(src, count, dst);
      return true;
    case TorchDType::i16:
      convert<int16_t>(src, count, dst);
      return true;
    case TorchDType::i8:
      convert<int8_t>(src, count, dst);
      return true;
    case TorchDType::u8:
      convert<uint8_t>(src, count, dst);
      return true;
    case TorchDType::u16:
      convert<uint16_t>(src, count, dst);
      return true;
    case TorchDType::u32:
      convert<uint32_t>(src, count, dst);
      return true;
    case TorchDType::u64:
      convert<uint64_t>(src, count, dst);
      return true;
    case TorchDType::boolean:
      for (size_t i = 0; i < count; ++i) dst[i] = src[i] ? 1.0f : 0.0f;
      return true;
    default:
      return false;
  }
}

Result<uint64_t> read_f32(const StorageBytes& s, TorchDType t, uint64_t first, uint64_t count, float* dst) {
  if (!decodable_to_f32(t))
    return Error{ErrorCode::stream_dtype,
                 "no fp32 conversion for " + std::string(dtype_name(t)),
                 {},
                 std::string(errc::decode_dtype)};
  uint32_t es = dtype_size(t);
  CheckedU64 begin = CheckedU64(first) * es, bytes = CheckedU64(count) * es;
  if (!begin.ok() || !bytes.ok() || !range_within(begin.value(), bytes.value(), s.nbytes))
    return range_error("elements [" + std::to_string(first) + ", +" + std::to_string(count) + ") outside the storage");
  std::vector<uint8_t> buf(size_t(std::min<uint64_t>(bytes.value(), 1u << 20)));
  uint64_t done = 0;
  while (done < count) {
    uint64_t n = std::min<uint64_t>(count - done, buf.size() / es);
    if (!s.source->read(s.offset + begin.value() + done * es, buf.data(), size_t(n * es)))
      return range_error("storage bytes outside the source");
    decode_to_f32(t, buf.data(), size_t(n), dst + done);
    done += n;
  }
  return count;
}

namespace {

// Row-major walk over all dimensions but the last; each row is gathered at once.
class Gather {
 public:
  Gather(const StorageBytes& s, TorchDType t, std::span<const uint64_t> shape, std::span<const uint64_t> stride,
         uint64_t offset, const F32Sink& sink, size_t chunk)
      : s_(s),
        t_(t),
        es_(dtype_size(t)),
        shape_(shape),
        stride_(stride),
        offset_(offset),
        sink_(sink),
        chunk_(std::max<size_t>(chunk, 1)) {}

  Result<uint64_t> run();

 private:
  Result<bool> row(uint64_t first, uint64_t n, uint64_t step);
  bool flush();

  const StorageBytes& s_;
  TorchDType t_;
  uint32_t es_;
  std::span<const uint64_t> shape_, stride_;
  uint64_t offset_;
  const F32Sink& sink_;
  size_t chunk_;
  std::vector<float> out_;
  std::vector<uint8_t> raw_;
  uint64_t delivered_ = 0;
  bool stopped_ = false;
};

constexpr uint64_t kMaxRowSpan = 4u << 20;

bool Gather::flush() {
  if (out_.empty()) return true;
  bool go = sink_(out_.data(), out_.size());
  delivered_ += out_.size();
  out_.clear();
  stopped_ = !go;
  return go;
}

// n elements starting at element first, step elements apart.
Result<bool> Gather::row(uint64_t first, uint64_t n, uint64_t step) {
  CheckedU64 last = CheckedU64(first) + (CheckedU64(n) - 1) * step;
  CheckedU64 end_bytes = (last + 1) * es_;
  if (!last.ok() || !end_bytes.ok() || end_bytes.value() > s_.nbytes)
    return range_error("a strided element lies outside the storage");
  uint64_t span_bytes = end_bytes.value() - first * es_;
  bool one_read = span_bytes <= kMaxRowSpan;
  if (one_read) {
    raw_.resize(size_t(span_bytes));
    if (!s_.source->read(s_.offset + first * es_, raw_.data(), raw_.size()))
      return range_error("storage bytes outside the source");
  }
  uint8_t one[16];
  for (uint64_t k = 0; k < n; ++k) {
    const uint8_t* p;
    if (one_read) {
      p = raw_.data() + k * step * es_;
    } else {
      if (!s_.source->read(s_.offset + (first + k * step) * es_, one, es_))
        return range_error("storage bytes outside the source");
      p = one;
    }
    float v;
    decode_to_f32(t_, p, 1, &v);
    out_.push_back(v);
    if (out_.size() >= chunk_ && !flush()) return false;
  }
  return true;
}

Result<uint64_t> Gather::run() {
  if (!decodable_to_f32(t_))
    return Error{ErrorCode::stream_dtype,
                 "no fp32 conversion for " + std::string(dtype_name(t_)),
                 {},
                 std::string(errc::decode_dtype)};
  if (shape_.size() != stride_.size()) return range_error("shape and stride differ in rank");
  for (uint64_t d : shape_)
    if (d == 0) return uint64_t(0);
  out_.reserve(std::min<size_t>(chunk_, 1u << 20));
  if (shape_.empty()) {
    auto r = row(offset_, 1, 1);
    if (!r) return r.error();
    flush();
    return delivered_;
  }
  size_t rank = shape_.size();
  std::vector<uint64_t> idx(rank - 1, 0);
  while (!stopped_) {
    CheckedU64 first = offset_;
    for (size_t k = 0; k + 1 < rank; ++k) first += CheckedU64(idx[k]) * stride_[k];
    if (!first.ok()) return range_error("element index overflows 64 bits");
    auto r = row(first.value(), shape_[rank - 1], stride_[rank - 1]);
    if (!r) return r.error();
    if (!*r) break;
    size_t k = rank - 1;  // odometer over the outer dimensions
    while (k > 0 && ++idx[k - 1] == shape_[k - 1]) idx[--k] = 0;
    if (k == 0) break;
  }
  if (!stopped_) flush();
  return delivered_;
}

}  // namespace

Result<uint64_t> gather_f32(const StorageBytes& storage, TorchDType t, std::span<const uint64_t> shape,
                            std::span<const uint64_t> stride, uint64_t storage_offset, const F32Sink& sink,
                            size_t chunk) {
  return Gather(storage, t, shape, stride, storage_offset, sink, chunk).run();
}

}  // namespace ckpt::torch
