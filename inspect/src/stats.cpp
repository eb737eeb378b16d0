#include "ckpt/stats.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>

#include "ckpt/tensor_stream.hpp"

namespace ckpt {

namespace {

// The default HistogramAccumulator's shift (4 mantissa bits), a constant in the fused loop:
// a shift by a register costs three times as many operations.
constexpr int kValueShift = 23 - HistogramAccumulator::kDefaultMantissaBits;

// The histogram's origin, from a tensor's first values: their first finite value when
// they all sit on one side of zero within a factor of 4 of each other (a norm vector
// around 1.0), else 0 (weights around 0, where the float-format bins are fine already).
// Leaves it unset when no value is finite.
void choose_origin(const float* v, size_t n, HistogramAccumulator& hist) {
  float mn = INFINITY, mx = -INFINITY, first = NAN;
  for (size_t i = 0; i < std::min<size_t>(n, 4096); ++i)
    if (std::isfinite(v[i])) {
      if (std::isnan(first)) first = v[i];
      mn = std::min(mn, v[i]);
      mx = std::max(mx, v[i]);
    }
  if (std::isnan(first)) return;
  const bool bunched = (mn > 0 && mx < 4 * mn) || (mx < 0 && mn > 4 * mx);
  hist.set_origin(bunched ? first : 0.0f);
}

}  // namespace

void StatsAccumulator::add(const float* v, size_t n, HistogramAccumulator* hist) {
  if (!hist) return add_impl<false, false>(v, n, nullptr);
  if (hist->shift() != kValueShift) {  // another resolution than the default: a second loop
    add_impl<false, false>(v, n, nullptr);
    return hist->add(v, n);
  }
  if (!hist->has_origin()) choose_origin(v, n, *hist);
  // An origin of 0 needs no subtraction: the common case keeps the loop lean (the double
  // lanes of the statistics use every vector register there is).
  if (hist->origin() != 0.0f)
    add_impl<true, true>(v, n, hist);
  else
    add_impl<true, false>(v, n, hist);
}

template <bool kHist, bool kOrigin>
void StatsAccumulator::add_impl(const float* v, size_t n, HistogramAccumulator* hist) {
  // One pass: sums are taken relative to a shift K (the chunk's first finite value), so
  // the variance sum(x-K)^2 - (sum(x-K))^2/n stays accurate in double without a second
  // pass. Four independent lanes keep the double additions from serialising.
  // With a histogram, each value is also binned in the same loop (a shift and an
  // increment, NaN and Inf into bins the histogram leaves out): those few integer
  // operations overlap the latency-bound double additions.
  size_t i0 = 0;
  while (i0 < n && !std::isfinite(v[i0])) ++i0;
  const double K = i0 < n ? double(v[i0]) : 0.0;
  double s[4] = {0, 0, 0, 0}, q[4] = {0, 0, 0, 0};
  float mn[4] = {INFINITY, INFINITY, INFINITY, INFINITY}, mx[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
  uint64_t zeros = 0, nonfinite = 0, nan = 0;
  uint64_t* bins = kHist ? hist->counts() : nullptr;
  const float origin = kHist ? hist->origin() : 0.0f;
  auto bin_of = [origin](float x) {  // HistogramAccumulator::bin_of with its state in registers
    const float d = kOrigin ? x - origin : x;
    uint32_t b;
    std::memcpy(&b, &d, 4);
    return b >> kValueShift;
  };
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) {
      const float x = v[i + k];
      if constexpr (kHist) ++bins[bin_of(x)];
      if (std::fabs(x) <= 3.40282347e38f) {  // finite; false for NaN and Inf
        const double d = double(x) - K;
        s[k] += d;
        q[k] += d * d;
        mn[k] = x < mn[k] ? x : mn[k];
        mx[k] = x > mx[k] ? x : mx[k];
        zeros += x == 0.0f;
      } else {
        ++nonfinite;
        nan += x != x;
      }
    }
  }
  for (; i < n; ++i) {
    const float x = v[i];
    if constexpr (kHist) ++bins[bin_of(x)];
    if (std::fabs(x) <= 3.40282347e38f) {
      const double d = double(x) - K;
      s[0] += d;
      q[0] += d * d;
      mn[0] = x < mn[0] ? x : mn[0];
      mx[0] = x > mx[0] ? x : mx[0];
      zeros += x == 0.0f;
    } else {
      ++nonfinite;
      nan += x != x;
    }
  }
  count_ += n;
  nan_ += nan;
  inf_ += nonfinite - nan;
  zeros_ += zeros;
  const uint64_t finite = n - nonfinite;
  if (finite == 0) return;
  const double sum = (s[0] + s[1]) + (s[2] + s[3]), sumsq = (q[0] + q[1]) + (q[2] + q[3]);
  StatsAccumulator chunk;
  chunk.finite_ = finite;
  chunk.mean_ = K + sum / double(finite);
  chunk.m2_ = std::max(0.0, sumsq - sum * sum / double(finite));
  chunk.min_ = std::min(std::min(mn[0], mn[1]), std::min(mn[2], mn[3]));
  chunk.max_ = std::max(std::max(mx[0], mx[1]), std::max(mx[2], mx[3]));
  merge(chunk);  // the chunk carries only moments: its counts were added above
}

void StatsAccumulator::merge(const StatsAccumulator& o) {
  count_ += o.count_;
  nan_ += o.nan_;
  inf_ += o.inf_;
  zeros_ += o.zeros_;
  if (o.finite_ == 0) return;
  if (finite_ == 0) {
    finite_ = o.finite_;
    mean_ = o.mean_;
    m2_ = o.m2_;
    min_ = o.min_;
    max_ = o.max_;
    return;
  }
  const double na = double(finite_), nb = double(o.finite_), n = na + nb;
  const double delta = o.mean_ - mean_;
  mean_ += delta * nb / n;
  m2_ += o.m2_ + delta * delta * na * nb / n;
  finite_ += o.finite_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

TensorStats StatsAccumulator::result() const {
  TensorStats s;
  s.count = count_;
  s.finite = finite_;
  s.nan = nan_;
  s.inf = inf_;
  s.zeros = zeros_;
  if (finite_ > 0) {
    s.min = min_;
    s.max = max_;
    s.mean = mean_;
    s.std = std::sqrt(m2_ / double(finite_));  // population std, as numpy's default
    s.absmax = std::max(std::fabs(double(min_)), std::fabs(double(max_)));
  }
  return s;
}

Result<TensorStats> tensor_stats(const Checkpoint& cp, const TensorInfo& t, bool histograms) {
  StatsAccumulator acc;
  std::optional<HistogramAccumulator> values, scales;  // 64 KiB each: only when asked
  if (histograms) values.emplace(), scales.emplace();
  HistogramAccumulator* hist = histograms ? &*values : nullptr;
  TensorStats out;
  if (t.spec.dtype == DType::q8_0) {
    int qmin = 127, qmax = -128;
    float smin = INFINITY, smax = -INFINITY;
    std::vector<float> deq;
    auto r = stream_q8(cp, t, [&](const Q8Chunk& c) {
      const size_t n = c.n_groups * c.group_size;
      for (size_t i = 0; i < n; ++i) {
        qmin = std::min<int>(qmin, c.q[i]);
        qmax = std::max<int>(qmax, c.q[i]);
      }
      for (size_t g = 0; g < c.n_groups; ++g) {
        // NaN scales show up as NaN dequantized values in the counts; the range skips them.
        const float s = c.scales[g];
        if (std::isnan(s)) continue;
        smin = std::min(smin, s);
        smax = std::max(smax, s);
      }
      deq.resize(n);
      for (size_t g = 0; g < c.n_groups; ++g)
        for (size_t i = 0; i < c.group_size; ++i)
          deq[g * c.group_size + i] = float(c.q[g * c.group_size + i]) * c.scales[g];
      acc.add(deq.data(), n, hist);
      if (scales) scales->add(c.scales, c.n_groups);
      return true;
    });
    if (!r) return r.error();
    out = acc.result();
    if (*r > 0) {
      out.q_min = qmin;
      out.q_max = qmax;
      out.scale_min = smin;
      out.scale_max = smax;
    }
  } else {
    auto r = stream_f32(cp, t, [&](uint64_t, const float* v, size_t n) {
      acc.add(v, n, hist);
      return true;
    });
    if (!r) return r.error();
    out = acc.result();
  }
  out.partial = t.status != TensorStatus::complete;
  if (histograms) {
    out.histogram = values->result();
    if (out.q_min) out.scale_histogram = scales->result();
  }
  return out;
}

std::vector<std::optional<TensorStats>> all_tensor_stats(const Checkpoint& cp, unsigned threads, bool histograms) {
  std::vector<std::optional<TensorStats>> out(cp.tensors.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < cp.tensors.size(); i = next++) {
      auto r = tensor_stats(cp, cp.tensors[i], histograms);
      if (r) out[i] = *r;
    }
  };
  threads = std::max(1u, std::min<unsigned>(threads, unsigned(cp.tensors.size())));
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace ckpt
