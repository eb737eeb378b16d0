#include "torch_dtype.hpp"

#include <array>

namespace ckpt::torch {

namespace {
struct DTypeRow {
  TorchDType type;
  std::string_view name;
  uint32_t size;
  std::string_view storage;  // storage class name
  std::string_view alias;    // second torch attribute name of the dtype
};

constexpr std::array<DTypeRow, 24> kRows = {{
    {TorchDType::f32, "float32", 4, "FloatStorage", "float"},
    {TorchDType::f64, "float64", 8, "DoubleStorage", "double"},
    {TorchDType::f16, "float16", 2, "HalfStorage", "half"},
    {TorchDType::bf16, "bfloat16", 2, "BFloat16Storage", ""},
    {TorchDType::i64, "int64", 8, "LongStorage", "long"},
    {TorchDType::i32, "int32", 4, "IntStorage", "int"},
    {TorchDType::i16, "int16", 2, "ShortStorage", "short"},
    {TorchDType::i8, "int8", 1, "CharStorage", ""},
    {TorchDType::u8, "uint8", 1, "ByteStorage", ""},
    {TorchDType::u16, "uint16", 2, "UInt16Storage", ""},
    {TorchDType::u32, "uint32", 4, "UInt32Storage", ""},
    {TorchDType::u64, "uint64", 8, "UInt64Storage", ""},
    {TorchDType::boolean, "bool", 1, "BoolStorage", ""},
    {TorchDType::c32, "complex32", 4, "ComplexHalfStorage", "chalf"},
    {TorchDType::c64, "complex64", 8, "ComplexFloatStorage", "cfloat"},
    {TorchDType::c128, "complex128", 16, "ComplexDoubleStorage", "cdouble"},
    {TorchDType::qint8, "qint8", 1, "QInt8Storage", ""},
    {TorchDType::quint8, "quint8", 1, "QUInt8Storage", ""},
    {TorchDType::qint32, "qint32", 4, "QInt32Storage", ""},
    {TorchDType::quint4x2, "quint4x2", 1, "QUInt4x2Storage", ""},
    {TorchDType::quint2x4, "quint2x4", 1, "QUInt2x4Storage", ""},
    {TorchDType::f8_e4m3fn, "float8_e4m3fn", 1, "Float8_e4m3fnStorage", ""},
    {TorchDType::f8_e5m2, "float8_e5m2", 1, "Float8_e5m2Storage", ""},
    {TorchDType::untyped, "untyped", 1, "UntypedStorage", ""},
}};
}  // namespace

std::string_view dtype_name(TorchDType t) {
  for (const auto& r : kRows)
    if (r.type == t) return r.name;
  return "unknown";
}

uint32_t dtype_size(TorchDType t) {
  for (const auto& r : kRows)
    if (r.type == t) return r.size;
  return 0;
}

TorchDType dtype_from_storage_class(std::string_view module, std::string_view name) {
  if (module != "torch" && module != "torch.cuda" && module != "torch.storage") return TorchDType::unknown;
  for (const auto& r : kRows)
    if (r.storage == name) return r.type;
  return TorchDType::unknown;
}

TorchDType dtype_from_torch_name(std::string_view module, std::string_view name) {
  if (module != "torch" || name.empty()) return TorchDType::unknown;
  for (const auto& r : kRows)
    if (r.type != TorchDType::untyped && (r.name == name || r.alias == name)) return r.type;
  return TorchDType::unknown;
}

}  // namespace ckpt::torch
