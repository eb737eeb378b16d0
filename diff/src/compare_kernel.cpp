#include "compare_kernel.hpp"

#include <fmt/core.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "fingerprint.hpp"

namespace ckpt::diffing {

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
  merge_fingerprint(fp_a, o.fp_a);
  merge_fingerprint(fp_b, o.fp_b);
  if (o.has_max) {
    if (!has_max || o.max_abs.value > max_abs.value) max_abs = o.max_abs;
    if (!has_max || o.max_rel.value > max_rel.value) max_rel = o.max_rel;
    has_max = true;
  }
  for (const auto& m : o.first) {
    if (first.size() >= cap) break;
    first.push_back(m);
  }
  ErrorShapeAccum::merge_into(shape, o.shape);
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

void slow_block(const ElementRule& rule, uint64_t first, const float* a, const float* b, const float* half_steps,
                size_t n, PairAccum& acc, size_t cap) {
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
    if (rule.equal(x, y, half_steps ? half_steps[i] : 0.0f)) continue;
    ++acc.mismatches;
    acc.b_zero += y == 0.0f;
    acc.a_zero += x == 0.0f;
    acc.negated += x == -y;
    if (acc.first.size() < cap) acc.first.push_back(ElementPair{flat, {}, x, y});
  }
}

// A block without NaN or Inf, with a rule the vector loop can evaluate (no --ulp):
// every metric in one vectorised pass; the indices of the maxima and of the first
// mismatches are found by rescanning only when this block holds a new maximum or a
// mismatch still to report. Returns false, touching nothing, when the block holds a
// non-finite value.
bool finite_block(const ElementRule& rule, uint64_t first, const float* a, const float* b, const float* half_steps,
                  size_t n, PairAccum& acc, size_t cap) {
  const int mode = rule.use_tol ? 1 : rule.q8_bound ? 2 : 0;  // exact, tolerance, Q8_0 bound
  const double atol = rule.atol, rtol = rule.rtol;
  double d2 = 0, dot = 0, na = 0, nb = 0, mabs = 0, mrel = 0;
  uint64_t mism = 0, bz = 0, az = 0, neg = 0;
  int nonfinite = 0;
#pragma omp simd reduction(+ : d2, dot, na, nb, mism, bz, az, neg) reduction(max : mabs, mrel) reduction(| : nonfinite)
  for (size_t i = 0; i < n; ++i) {
    const float x = a[i], y = b[i];
    nonfinite |= int(!(std::fabs(x) <= 3.4028235e38f)) | int(!(std::fabs(y) <= 3.4028235e38f));
    const double dx = x, dy = y, d = dx - dy, ad = std::fabs(d);
    d2 += d * d;
    dot += dx * dy;
    na += dx * dx;
    nb += dy * dy;
    const double rel = ad == 0 ? 0.0 : ad / std::fabs(dy);
    mabs = std::max(mabs, ad);
    mrel = std::max(mrel, rel);
    const bool bad = mode == 0 ? x != y : mode == 1 ? ad > atol + rtol * std::fabs(dy) : ad > double(half_steps[i]);
    mism += bad;
    bz += bad & (y == 0.0f);
    az += bad & (x == 0.0f);
    neg += bad & (x == -y);
  }
  if (nonfinite) return false;
  acc.sum_d2 += d2;
  acc.dot += dot;
  acc.na += na;
  acc.nb += nb;
  acc.finite_pairs += n;
  acc.mismatches += mism;
  acc.b_zero += bz;
  acc.a_zero += az;
  acc.negated += neg;
  bool new_abs = !acc.has_max || mabs > acc.max_abs.value, new_rel = !acc.has_max || mrel > acc.max_rel.value;
  for (size_t i = 0; i < n && (new_abs || new_rel); ++i) {
    const double dy = b[i], ad = std::fabs(double(a[i]) - dy);
    if (new_abs && ad == mabs) {
      note_max(acc.max_abs, false, ad, first + i, a[i], b[i]);
      new_abs = false;
    }
    const double rel = ad == 0 ? 0.0 : ad / std::fabs(dy);
    if (new_rel && rel == mrel) {
      note_max(acc.max_rel, false, rel, first + i, a[i], b[i]);
      new_rel = false;
    }
  }
  acc.has_max = true;
  for (size_t i = 0; i < n && mism && acc.first.size() < cap; ++i)
    if (!rule.equal(a[i], b[i], half_steps ? half_steps[i] : 0.0f))
      acc.first.push_back(ElementPair{first + i, {}, a[i], b[i]});
  return true;
}

}  // namespace

void accumulate(const ElementRule& rule, uint64_t first, const float* a, const float* b, const float* half_steps,
                size_t n, PairAccum& acc, size_t cap) {
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
    add_fingerprint(pa, k, acc.fp_a);
    add_fingerprint(pb, k, acc.fp_b);
    if (acc.geometry) ErrorShapeAccum::add_to(acc.shape, *acc.geometry, first + off, pa, pb, k);
    const float* ph = half_steps ? half_steps + off : nullptr;
    if (!rule.use_ulp && (!rule.q8_bound || ph) && finite_block(rule, first + off, pa, pb, ph, k, acc, cap)) continue;
    slow_block(rule, first + off, pa, pb, ph, k, acc, cap);
  }
}

}  // namespace ckpt::diffing
