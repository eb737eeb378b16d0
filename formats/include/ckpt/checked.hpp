#pragma once
// Checked 64-bit arithmetic for every size derived from a file. A CheckedU64 remembers
// that an operation overflowed (or went negative) instead of wrapping, so a whole size
// formula can be written naturally and tested once at the end.
#include <cstdint>

namespace ckpt {

class CheckedU64 {
 public:
  constexpr CheckedU64() = default;
  constexpr CheckedU64(uint64_t v) : v_(v) {}
  static constexpr CheckedU64 invalid() {
    CheckedU64 c;
    c.ok_ = false;
    return c;
  }
  // From a signed header value: negative values poison the result.
  static constexpr CheckedU64 from_signed(int64_t v) { return v < 0 ? invalid() : CheckedU64(uint64_t(v)); }

  constexpr bool ok() const { return ok_; }
  constexpr uint64_t value() const { return v_; }

  friend constexpr CheckedU64 operator+(CheckedU64 a, CheckedU64 b) {
    CheckedU64 r;
    r.ok_ = a.ok_ && b.ok_ && !__builtin_add_overflow(a.v_, b.v_, &r.v_);
    return r;
  }
  friend constexpr CheckedU64 operator-(CheckedU64 a, CheckedU64 b) {
    CheckedU64 r;
    r.ok_ = a.ok_ && b.ok_ && a.v_ >= b.v_;
    r.v_ = r.ok_ ? a.v_ - b.v_ : 0;
    return r;
  }
  friend constexpr CheckedU64 operator*(CheckedU64 a, CheckedU64 b) {
    CheckedU64 r;
    r.ok_ = a.ok_ && b.ok_ && !__builtin_mul_overflow(a.v_, b.v_, &r.v_);
    return r;
  }
  // Division by zero poisons instead of trapping.
  friend constexpr CheckedU64 operator/(CheckedU64 a, CheckedU64 b) {
    CheckedU64 r;
    r.ok_ = a.ok_ && b.ok_ && b.v_ != 0;
    r.v_ = r.ok_ ? a.v_ / b.v_ : 0;
    return r;
  }
  CheckedU64& operator+=(CheckedU64 b) { return *this = *this + b; }
  CheckedU64& operator*=(CheckedU64 b) { return *this = *this * b; }

 private:
  uint64_t v_ = 0;
  bool ok_ = true;
};

// The central bounds check, written so that the addition cannot overflow.
constexpr bool range_within(uint64_t offset, uint64_t length, uint64_t size) {
  return length <= size && offset <= size - length;
}

}  // namespace ckpt
