#pragma once
// Per-tensor statistics, accumulated in double over a stream of fp32 chunks.
#include <cstdint>
#include <optional>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/histogram.hpp"

namespace ckpt {

struct TensorStats {
  uint64_t count = 0;   // elements seen (fewer than numel for a truncated tensor)
  uint64_t finite = 0;  // elements that entered min/max/mean/std
  double min = 0, max = 0, mean = 0, std = 0, absmax = 0;
  uint64_t nan = 0, inf = 0, zeros = 0;
  bool partial = false;  // the tensor is truncated: statistics cover its present prefix
  // Q8_0 only: the raw int8 range and the scale range.
  std::optional<int> q_min, q_max;
  std::optional<float> scale_min, scale_max;
  // With histograms requested (inspect --hist / --html): the finite values (Q8_0:
  // dequantized), and for Q8_0 the group scales.
  std::optional<Histogram> histogram, scale_histogram;
};

// Accumulates statistics chunk by chunk; merge() combines two accumulators exactly
// (Chan's parallel variance), so tensors can be split across threads.
class StatsAccumulator {
 public:
  // With `hist`, every finite value is also binned into it, in the same loop: the
  // statistics come out bit for bit the same as without.
  void add(const float* v, size_t n, HistogramAccumulator* hist = nullptr);
  void merge(const StatsAccumulator& o);
  TensorStats result() const;

 private:
  template <bool kHist, bool kOrigin>
  void add_impl(const float* v, size_t n, HistogramAccumulator* hist);

  uint64_t count_ = 0, finite_ = 0, nan_ = 0, inf_ = 0, zeros_ = 0;
  double mean_ = 0, m2_ = 0;
  float min_ = 0, max_ = 0;
};

// Statistics of one tensor's values present in the file (Q8_0 dequantized, plus its
// int8 and scale ranges), with histograms when asked. Fails with "io.read" when the file
// cannot be read.
Result<TensorStats> tensor_stats(const Checkpoint& cp, const TensorInfo& t, bool histograms = false);

// Statistics of every tensor, computed on `threads` threads (tensors are independent).
// A tensor that cannot be read gets nullopt.
std::vector<std::optional<TensorStats>> all_tensor_stats(const Checkpoint& cp, unsigned threads,
                                                         bool histograms = false);

}  // namespace ckpt
