#include "ckpt/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace ckpt {

namespace {

constexpr int kSlices = 1 << (23 - HistogramAccumulator::kShift);  // bins per power of two, 16
constexpr uint32_t kSignBin = uint32_t(HistogramAccumulator::kBins / 2);

// The magnitudes [lo, hi) of the values whose bin, without its sign, is `b`.
void magnitude_range(uint32_t b, double& lo, double& hi) {
  const int exponent = int(b / kSlices), slice = int(b % kSlices);
  const double unit = std::ldexp(1.0, exponent - 127);
  lo = unit * (1.0 + double(slice) / kSlices);
  hi = unit * (1.0 + double(slice + 1) / kSlices);
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
    if (!(z > a)) continue;
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
  for (size_t i = 0; i < kBins; ++i) counts_[i] += o.counts_[i];
}

Histogram HistogramAccumulator::result() const {
  Histogram h;
  const uint32_t exp0_end = kSlices, nonfinite = 255 * kSlices;  // exponent 0 (zero, subnormals); 255 (Inf, NaN)
  // Negative values, largest magnitude first.
  for (uint32_t b = nonfinite; b-- > exp0_end;)
    if (const uint64_t c = counts_[kSignBin + b]) {
      double lo, hi;
      magnitude_range(b, lo, hi);
      h.bins.push_back({-hi, -lo, c});
    }
  // Zero and the subnormals of both signs: one bin around zero.
  uint64_t zero = 0;
  for (uint32_t b = 0; b < exp0_end; ++b) zero += counts_[b] + counts_[kSignBin + b];
  if (zero) h.bins.push_back({-std::ldexp(1.0, -126), std::ldexp(1.0, -126), zero});
  for (uint32_t b = exp0_end; b < nonfinite; ++b)
    if (const uint64_t c = counts_[b]) {
      double lo, hi;
      magnitude_range(b, lo, hi);
      h.bins.push_back({lo, hi, c});
    }
  return h;
}

}  // namespace ckpt
