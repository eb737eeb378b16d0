// The small queries of the common model and the names of its enums.
#include <algorithm>

#include "ckpt/checkpoint.hpp"

namespace ckpt {

std::string_view tensor_status_name(TensorStatus s) {
  switch (s) {
    case TensorStatus::complete:
      return "complete";
    case TensorStatus::truncated:
      return "truncated";
    case TensorStatus::missing:
      return "missing";
  }
  return "missing";
}

std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::f32:
      return "f32";
    case DType::q8_0:
      return "q8_0";
    case DType::bf16:
      return "bf16";
    case DType::u32:
      return "u32";
    case DType::f16:
      return "f16";
    case DType::f64:
      return "f64";
    case DType::i8:
      return "i8";
    case DType::i16:
      return "i16";
    case DType::i32:
      return "i32";
    case DType::i64:
      return "i64";
    case DType::u8:
      return "u8";
    case DType::u16:
      return "u16";
    case DType::u64:
      return "u64";
    case DType::boolean:
      return "bool";
    case DType::bfp8_b:
      return "bfp8_b";
    case DType::bfp4_b:
      return "bfp4_b";
    case DType::opaque:
      return "opaque";
  }
  return "f32";
}

uint32_t dtype_width(DType d) {
  switch (d) {
    case DType::q8_0:
    case DType::bfp8_b:
    case DType::bfp4_b:
    case DType::opaque:
      return 0;
    case DType::i8:
    case DType::u8:
    case DType::boolean:
      return 1;
    case DType::bf16:
    case DType::f16:
    case DType::i16:
    case DType::u16:
      return 2;
    case DType::f32:
    case DType::u32:
    case DType::i32:
      return 4;
    case DType::f64:
    case DType::i64:
    case DType::u64:
      return 8;
  }
  return 0;
}

bool dtype_is_float(DType d) {
  return d == DType::f32 || d == DType::bf16 || d == DType::f16 || d == DType::f64 || d == DType::q8_0 ||
         d == DType::bfp8_b || d == DType::bfp4_b;
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "error";
}

const TensorInfo* Checkpoint::find(std::string_view name) const {
  for (const auto& t : tensors)
    if (t.spec.name == name) return &t;
  return nullptr;
}

bool Checkpoint::has_errors() const {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
}

}  // namespace ckpt

namespace ckpt {

int64_t exporter_group_size(int64_t dim, int64_t start) {
  int64_t gs = start;
  while (gs > 1 && dim % gs != 0) gs /= 2;
  return gs;
}

}  // namespace ckpt
