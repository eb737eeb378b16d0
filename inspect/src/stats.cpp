#include "ckpt/stats.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "ckpt/tensor_stream.hpp"

namespace ckpt {

void StatsAccumulator::add(const float* v, size_t n) {
  // One pass for the counts, extremes and the chunk sum; a second pass over the same
  // (cached) chunk for the squared deviations, so the variance stays exact in double.
  uint64_t finite = 0, nan = 0, inf = 0, zeros = 0;
  double sum = 0;
  float mn = INFINITY, mx = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    const float x = v[i];
    if (std::isfinite(x)) {
      ++finite;
      sum += double(x);
      mn = std::min(mn, x);
      mx = std::max(mx, x);
      zeros += x == 0.0f;
    } else if (std::isnan(x)) {
      ++nan;
    } else {
      ++inf;
    }
  }
  count_ += n;
  nan_ += nan;
  inf_ += inf;
  zeros_ += zeros;
  if (finite == 0) return;
  const double mean = sum / double(finite);
  double m2 = 0;
  for (size_t i = 0; i < n; ++i) {
    const float x = v[i];
    if (std::isfinite(x)) {
      const double d = double(x) - mean;
      m2 += d * d;
    }
  }
  StatsAccumulator chunk;
  chunk.finite_ = finite;
  chunk.mean_ = mean;
  chunk.m2_ = m2;
  chunk.min_ = mn;
  chunk.max_ = mx;
  // merge() only combines the moments; counts were added above.
  const uint64_t keep_count = count_;
  merge(chunk);
  count_ = keep_count;
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

Result<TensorStats> tensor_stats(const ByteSource& src, const Checkpoint& cp, const TensorInfo& t) {
  StatsAccumulator acc;
  TensorStats out;
  if (t.spec.dtype == DType::q8_0) {
    int qmin = 127, qmax = -128;
    float smin = INFINITY, smax = -INFINITY;
    std::vector<float> deq;
    auto r = stream_q8(src, cp, t, [&](const Q8Chunk& c) {
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
      acc.add(deq.data(), n);
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
    auto r = stream_f32(src, cp, t, [&](uint64_t, const float* v, size_t n) {
      acc.add(v, n);
      return true;
    });
    if (!r) return r.error();
    out = acc.result();
  }
  out.partial = t.status != TensorStatus::complete;
  return out;
}

std::vector<std::optional<TensorStats>> all_tensor_stats(const ByteSource& src, const Checkpoint& cp,
                                                         unsigned threads) {
  std::vector<std::optional<TensorStats>> out(cp.tensors.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < cp.tensors.size(); i = next++) {
      auto r = tensor_stats(src, cp, cp.tensors[i]);
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
