// Reading one safetensors file into a checkpoint.
#include "safetensors_file.hpp"

#include <algorithm>

#include "ckpt/checked.hpp"

namespace ckpt::safetensors {

bool looks_like_safetensors(const ByteSource& src) {
  uint8_t b[9];
  if (src.size() < 9 || !src.read(0, b, 9)) return false;
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | b[i];
  return n >= 2 && n <= src.size() - 8 && b[8] == '{';
}

DType dtype_of_safetensors(std::string_view d) {
  static constexpr std::pair<std::string_view, DType> kMap[] = {
      {"F32", DType::f32}, {"F16", DType::f16}, {"BF16", DType::bf16},    {"F64", DType::f64}, {"I8", DType::i8},
      {"I16", DType::i16}, {"I32", DType::i32}, {"I64", DType::i64},      {"U8", DType::u8},   {"U16", DType::u16},
      {"U32", DType::u32}, {"U64", DType::u64}, {"BOOL", DType::boolean},
  };
  for (const auto& [name, t] : kMap)
    if (name == d) return t;
  return DType::opaque;
}

Result<SafetensorsFile> add_safetensors_file(Checkpoint& cp, uint32_t source, const std::string& name,
                                             const OpenOptions&) {
  SafetensorsLimits limits;
  const ByteSource& src = cp.source(source);
  auto h = read_safetensors_header(src, limits);
  if (!h) {
    Error e = h.error();
    if (!name.empty()) e.message = name + ": " + e.message;
    return e;
  }
  const std::string where = name.empty() ? "" : name + ": ";
  for (Finding f : h->findings) {
    f.message = where + f.message;
    cp.findings.push_back(std::move(f));
  }
  for (const SafetensorsEntry& e : h->tensors) {
    TensorInfo t;
    t.spec.name = e.name;
    t.spec.dtype = e.valid ? dtype_of_safetensors(e.dtype) : DType::opaque;
    t.spec.shape = e.shape;
    CheckedU64 numel(1);
    for (uint64_t d : e.shape) numel *= CheckedU64(d);
    t.spec.numel = numel.ok() ? numel.value() : 0;
    t.place.source = source;
    t.place.storage = Storage::raw;
    t.place.offset = e.absolute_offset;
    t.place.nbytes = e.end >= e.begin ? e.end - e.begin : 0;
    // A tensor whose bytes disagree with its shape is shown, but not read as values.
    if (t.spec.dtype != DType::opaque) {
      const CheckedU64 bytes = CheckedU64(t.spec.numel) * CheckedU64(dtype_width(t.spec.dtype));
      if (!numel.ok() || !bytes.ok() || bytes.value() != t.place.nbytes) t.spec.dtype = DType::opaque;
    }
    const uint64_t size = src.size();
    if (t.place.offset >= size) {
      t.status = t.place.nbytes == 0 ? TensorStatus::complete : TensorStatus::missing;
      t.data_available = 0;
    } else {
      t.data_available = std::min(t.place.nbytes, size - t.place.offset);
      t.status = t.data_available == t.place.nbytes ? TensorStatus::complete : TensorStatus::truncated;
    }
    if (t.status != TensorStatus::complete) t.truncated_at = size;
    cp.tensors.push_back(std::move(t));
  }
  SafetensorsFile f;
  f.source = source;
  f.name = name;
  f.header = std::move(*h);
  f.header.findings.clear();  // moved into the checkpoint's
  return f;
}

}  // namespace ckpt::safetensors
