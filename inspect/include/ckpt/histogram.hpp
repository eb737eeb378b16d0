#pragma once
// Value histograms built in the one streaming pass that computes the statistics (and,
// for |a - b|, the diff). The bins are fixed by the float format, not by the data: a
// value's bin is its sign, exponent and top 4 mantissa bits, i.e. 16 bins per power of
// two on each side of zero (each at most 6.25% of its values' magnitude wide), and one
// bin for zero and the subnormals. So no range has to be known before the last chunk,
// binning is a shift and an increment, and histograms of parts of a tensor merge by
// adding counts. Renderers spread the bins onto linear axes (Histogram::spread).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ckpt {

struct HistogramBin {
  double lo = 0, hi = 0;  // [lo, hi)
  uint64_t count = 0;
};

struct Histogram {
  std::vector<HistogramBin> bins;  // the non-empty bins, ascending
  uint64_t total() const;
  bool empty() const { return bins.empty(); }
  double lo() const { return bins.empty() ? 0 : bins.front().lo; }
  double hi() const { return bins.empty() ? 0 : bins.back().hi; }
  // The counts on n equal bins over [lo, hi): each bin's count is shared among the
  // linear bins it overlaps in proportion to the overlap (values assumed uniform within
  // a bin). Counts outside [lo, hi) are left out.
  std::vector<double> spread(double lo, double hi, size_t n) const;
};

class HistogramAccumulator {
 public:
  static constexpr int kShift = 19;                            // 23 mantissa bits, keep the top 4
  static constexpr size_t kBins = size_t(1) << (32 - kShift);  // every bit pattern's bin, 8192

  HistogramAccumulator() : counts_(kBins, 0) {}
  // The bin of a value (NaN and Inf have bins of their own that result() leaves out).
  static uint32_t bin_of(float x) {
    uint32_t b;
    std::memcpy(&b, &x, 4);
    return b >> kShift;
  }
  // For loops that bin values themselves (the statistics pass): ++counts()[bin_of(x)].
  uint64_t* counts() { return counts_.data(); }

  void add(const float* v, size_t n);
  void merge(const HistogramAccumulator& o);
  // The finite values' bins (NaN and Inf are left out: the statistics count them).
  Histogram result() const;

 private:
  std::vector<uint64_t> counts_;
};

}  // namespace ckpt
