#include "compare_kernel.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/core.h>

namespace ckpt::diffimpl {

uint64_t ulp_distance(float a, float b) {
  // Map the sign-magnitude bits onto a line where adjacent floats are adjacent integers.
  auto ordered = [](float x) {
    int32_t i;
    std::memcpy(&i, &x, 4);
    return i < 0 ? int64_t(INT32_MIN) - int64_t(i) : int64_t(i);
  };
  const int64_t d = ordered(a) - ordered(b);
  return uint64_t(d < 0 ? -d : d);
}

bool ElementRule::equal(float a, float b, float half_step) const {
  if (std::isnan(a) || std::isnan(b)) return equal_nan && std::isnan(a) && std::isnan(b);
  if (a == b) return true;  // also inf == inf and -0 == +0
  if (std::isinf(a) || std::isinf(b)) return false;
  const double d = std::fabs(double(a) - double(b));
  if (use_tol && d <= atol + rtol * std::fabs(double(b))) return true;
  if (use_ulp && ulp_distance(a, b) <= ulp) return true;
  if (q8_bound && !use_tol && !use_ulp && d <= double(half_step)) return true;
  return false;
}

std::string ElementRule::describe() const {
  std::string s;
  if (use_tol) s = fmt::format("atol={:g}, rtol={:g}", atol, rtol);
  if (use_ulp) s += (s.empty() ? "" : " or ") + fmt::format("ulp={}", ulp);
  if (s.empty()) s = q8_bound ? "q8_0 half step" : "exact";
  if (equal_nan) s += ", nan=nan";
  return s;
}

void PairAccum::merge(const PairAccum& o, size_t cap) {
  compared += o.compared;
  mismatches += o.mismatches;
  sum_d2 += o.sum_d2;
  dot += o.dot;
  na += o.na;
  nb += o.nb;
  finite_pairs += o.finite_pairs;
  b_zero += o.b_zero;
  a_zero += o.a_zero;
  negated += o.negated;
  if (o.has_max) {
    if (!has_max || o.max_abs.value > max_abs.value) max_abs = o.max_abs;
    if (!has_max || o.max_rel.value > max_rel.value) max_rel = o.max_rel;
    has_max = true;
  }
  for (const auto& m : o.first) {
    if (first.size() >= cap) break;
    first.push_back(m);
  }
}

namespace {

constexpr size_t kBlock = 4096;

// Sum of squares in double; the pragma lets the compiler reorder the sum into vector
// lanes (compiled with -fopenmp-simd, no OpenMP runtime involved).
double sum_squares(const float* a, size_t n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t i = 0; i < n; ++i) s += double(a[i]) * double(a[i]);
  return s;
}

void note_max(Extremum& e, bool has, double v, uint64_t flat, float a, float b) {
  if (has && !(v > e.value)) return;  // strictly greater: ties keep the first index
  e.value = v;
  e.at.flat = flat;
  e.at.a = a;
  e.at.b = b;
}

void slow_block(const ElementRule& rule, uint64_t first, const float* a, const float* b, const float* hs, size_t n,
                PairAccum& acc, size_t cap) {
  for (size_t i = 0; i < n; ++i) {
    const float x = a[i], y = b[i];
    const uint64_t flat = first + i;
    if (std::isfinite(x) && std::isfinite(y)) {
      const double dx = x, dy = y, d = dx - dy, ad = std::fabs(d);
      acc.sum_d2 += d * d;
      acc.dot += dx * dy;
      acc.na += dx * dx;
      acc.nb += dy * dy;
      ++acc.finite_pairs;
      const double rel = ad == 0 ? 0.0 : (dy == 0 ? std::numeric_limits<double>::infinity() : ad / std::fabs(dy));
      note_max(acc.max_abs, acc.has_max, ad, flat, x, y);
      note_max(acc.max_rel, acc.has_max, rel, flat, x, y);
      acc.has_max = true;
    }
    if (rule.equal(x, y, hs ? hs[i] : 0.0f)) continue;
    ++acc.mismatches;
    acc.b_zero += y == 0.0f;
    acc.a_zero += x == 0.0f;
    acc.negated += x == -y;
    if (acc.first.size() < cap) acc.first.push_back(ElementPair{flat, {}, x, y});
  }
}

}  // namespace

void accumulate(const ElementRule& rule, uint64_t first, const float* a, const float* b, const float* hs, size_t n,
                PairAccum& acc, size_t cap) {
  acc.compared += n;
  for (size_t off = 0; off < n; off += kBlock) {
    const size_t k = std::min(kBlock, n - off);
    const float* pa = a + off;
    const float* pb = b + off;
    // Bitwise-equal block: every element equal, differences zero. Only the norms are
    // needed; a non-finite sum means NaN or Inf inside, which the slow path handles.
    if (std::memcmp(pa, pb, k * 4) == 0) {
      const double s = sum_squares(pa, k);
      if (std::isfinite(s)) {
        acc.na += s;
        acc.nb += s;
        acc.dot += s;
        acc.finite_pairs += k;
        if (!acc.has_max) {
          note_max(acc.max_abs, false, 0.0, first + off, pa[0], pb[0]);
          note_max(acc.max_rel, false, 0.0, first + off, pa[0], pb[0]);
          acc.has_max = true;
        }
        continue;
      }
    }
    slow_block(rule, first + off, pa, pb, hs ? hs + off : nullptr, k, acc, cap);
  }
}

}  // namespace ckpt::diffimpl
