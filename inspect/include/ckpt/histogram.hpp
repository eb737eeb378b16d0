#pragma once
// Value histograms built in the one streaming pass that computes the statistics (and,
// for |a - b|, the diff). The bins are fixed by the float format, not by the data: a
// value's bin is its sign, exponent and top mantissa bits; with 4 of those bits, 16
// bins per power of two on each side of zero (each at most 6.25% of its values'
// magnitude wide), and one bin for zero and the subnormals. So no range has to be known before the last chunk,
// binning is a shift and an increment, and histograms of parts of a tensor merge by
// adding counts. Renderers spread the bins onto linear axes (Histogram::spread).
//
// The bins are fine near zero and coarse far from it, so values can be binned relative to
// an origin: the statistics pass takes a tensor's first finite value when its first values
// all sit on one side of zero (a norm vector around 1.0, whose values then get bins as fine
// as a matrix's around 0), else 0. A value x is binned as the float x - origin; values
// further than about 3e38 from the origin are left out.
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
  // 2^mantissa_bits bins per power of two (1 to 8): 4 bits make 8192 counters (64 KiB).
  static constexpr int kDefaultMantissaBits = 4;
  explicit HistogramAccumulator(int mantissa_bits = kDefaultMantissaBits)
      : shift_(23 - mantissa_bits), counts_(size_t(1) << (9 + mantissa_bits), 0) {}
  // The bin of a value (NaN and Inf have bins of their own that result() leaves out).
  uint32_t bin_of(float x) const {
    const float d = x - origin_;
    uint32_t b;
    std::memcpy(&b, &d, 4);
    return b >> shift_;
  }
  // For loops that bin values themselves (the statistics pass): ++counts()[bits >> shift()]
  // with the bits of x - origin().
  uint64_t* counts() { return counts_.data(); }
  int shift() const { return shift_; }
  // Sets the origin (0 until set); only before anything was counted.
  void set_origin(float origin) { origin_ = origin, has_origin_ = true; }
  bool has_origin() const { return has_origin_; }
  float origin() const { return origin_; }

  void add(const float* v, size_t n);
  void merge(const HistogramAccumulator& o);  // o has the same mantissa_bits and origin
  // The finite values' bins (NaN and Inf are left out: the statistics count them).
  Histogram result() const;

 private:
  int shift_;
  float origin_ = 0;
  bool has_origin_ = false;
  std::vector<uint64_t> counts_;
};

}  // namespace ckpt
