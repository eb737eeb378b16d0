#pragma once
// Element types of torch storages and tensors, from the names a pickle uses for them:
// storage classes (torch.FloatStorage) and dtypes (torch.float32).
#include <cstdint>
#include <string_view>

namespace ckpt::torch {

enum class TorchDType : uint8_t {
  unknown,
  f32,
  f64,
  f16,
  bf16,
  i64,
  i32,
  i16,
  i8,
  u8,
  u16,
  u32,
  u64,
  boolean,
  c32,
  c64,
  c128,
  qint8,
  quint8,
  qint32,
  quint4x2,
  quint2x4,
  f8_e4m3fn,
  f8_e5m2,
  untyped,  // torch.UntypedStorage: bytes
};

// "float32", "bfloat16", ... ("unknown" for unknown).
std::string_view dtype_name(TorchDType t);
// Bytes per element; 0 for unknown. quint4x2/quint2x4 pack elements into one byte.
uint32_t dtype_size(TorchDType t);
// From a storage class (module torch or torch.cuda, name FloatStorage ...).
TorchDType dtype_from_storage_class(std::string_view module, std::string_view name);
// From a dtype global (module torch, name float32 / float / half ...).
TorchDType dtype_from_torch_name(std::string_view module, std::string_view name);

}  // namespace ckpt::torch
