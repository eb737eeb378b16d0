#include "ckpt/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace ckpt {

namespace {

// The magnitudes [lo, hi) of the values whose bin, without its sign, is `b`, with
// `slices` bins per power of two.
void magnitude_range(uint32_t b, uint32_t slices, double& lo, double& hi) {
  const int exponent = int(b / slices), slice = int(b % slices);
  const double unit = std::ldexp(1.0, exponent - 127);
  lo = unit * (1.0 + double(slice) / slices);
  hi = unit * (1.0 + double(slice + 1) / slices);
}

}  // namespace

uint64_t Histogram::total() const {
  uint64_t t = 0;
  for (const auto& b : bins) t += b.count;
  return t;
}

std::vector<double> Histogram::spread(double lo, double hi, size_t n) const {
  std::vector<double> out(n, 0.0);
  if (n == 0 || !(hi > lo)) return out;
  const double w = (hi - lo) / double(n);
  for (const auto& b : bins) {
    const double a = std::max(b.lo, lo), z = std::min(b.hi, hi);
    if (!(z > a)) {
      if (b.lo == b.hi && b.lo >= lo && b.lo < hi) out[std::min(n - 1, size_t((b.lo - lo) / w))] += double(b.count);
      continue;
    }
    const double per = double(b.count) / (b.hi - b.lo);
    size_t i = size_t(std::clamp((a - lo) / w, 0.0, double(n - 1)));
    for (; i < n; ++i) {
      const double l = lo + double(i) * w, r = i + 1 == n ? hi : l + w;
      if (l >= z) break;
      const double overlap = std::min(r, z) - std::max(l, a);
      if (overlap > 0) out[i] += per * overlap;
    }
  }
  return out;
}

void HistogramAccumulator::add(const float* v, size_t n) {
  uint64_t* c = counts_.data();
  for (size_t i = 0; i < n; ++i) ++c[bin_of(v[i])];
}

void HistogramAccumulator::merge(const HistogramAccumulator& o) {
  for (size_t i = 0; i < counts_.size() && i < o.counts_.size(); ++i) counts_[i] += o.counts_[i];
}

Histogram HistogramAccumulator::result() const {
  Histogram h;
  const uint32_t slices = uint32_t(1) << (23 - shift_), sign_bin = uint32_t(counts_.size() / 2);
  const uint32_t exp0_end = slices, nonfinite = 255 * slices;  // exponent 0 (zero, subnormals); 255 (Inf, NaN)
  const double o = origin_;
  // Negative values, largest magnitude first.
  for (uint32_t b = nonfinite; b-- > exp0_end;)
    if (const uint64_t c = counts_[sign_bin + b]) {
      double lo, hi;
      magnitude_range(b, slices, lo, hi);
      h.bins.push_back({o - hi, o - lo, c});
    }
  // Zero and the subnormals of both signs: one bin around zero.
  uint64_t zero = 0;
  for (uint32_t b = 0; b < exp0_end; ++b) zero += counts_[b] + counts_[sign_bin + b];
  // (Wide enough to stay a bin in double when the origin is far from zero.)
  const double half = std::max(std::ldexp(1.0, -126), std::fabs(o) * std::ldexp(1.0, -30));
  if (zero) h.bins.push_back({o - half, o + half, zero});
  for (uint32_t b = exp0_end; b < nonfinite; ++b)
    if (const uint64_t c = counts_[b]) {
      double lo, hi;
      magnitude_range(b, slices, lo, hi);
      h.bins.push_back({o + lo, o + hi, c});
    }
  // Far from zero, bins of tiny distances from the origin can round to the same edges in
  // double: one bin then.
  std::vector<HistogramBin> merged;
  for (const auto& b : h.bins)
    if (!merged.empty() && merged.back().lo == b.lo && merged.back().hi == b.hi)
      merged.back().count += b.count;
    else
      merged.push_back(b);
  h.bins = std::move(merged);
  return h;
}

}  // namespace ckpt
