// Value histograms: exact counts on the grid they report, through rebinning and merging,
// and statistics that come out bit for bit the same with the histogram fused in.
#include "ckpt/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "ckpt/inspect_report.hpp"
#include "ckpt/stats.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

// The bin of a finite value by arithmetic rather than bits: 16 per power of two.
std::pair<double, double> expected_bin0(float x) {
  const double a = std::fabs(double(x));
  if (a < std::ldexp(1.0, -126)) return {-std::ldexp(1.0, -126), std::ldexp(1.0, -126)};
  int e = 0;
  const double m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  const double unit = std::ldexp(1.0, e - 1);
  const double slice = std::floor((m * 2 - 1) * 16);
  const double lo = unit * (1 + slice / 16), hi = unit * (1 + (slice + 1) / 16);
  return x < 0 ? std::pair{-hi, -lo} : std::pair{lo, hi};
}

// The bin of x - origin (the float the accumulator bins), moved back by the origin.
std::pair<double, double> expected_bin(float x, float origin) {
  const float d = x - origin;
  if (std::fabs(d) < std::ldexp(1.0f, -126)) {
    // The bin around the origin, kept a bin in double when the origin is far from zero.
    const double half = std::max(std::ldexp(1.0, -126), std::fabs(double(origin)) * std::ldexp(1.0, -30));
    return {double(origin) - half, double(origin) + half};
  }
  const auto [lo, hi] = expected_bin0(d);
  return {double(origin) + lo, double(origin) + hi};
}

// Every finite value is counted in its bin, and nothing else is counted.
void expect_exact(const Histogram& h, const std::vector<float>& values, float origin) {
  std::map<std::pair<double, double>, uint64_t> expected;
  for (float x : values)
    if (std::isfinite(x)) ++expected[expected_bin(x, origin)];
  ASSERT_EQ(h.bins.size(), expected.size());
  size_t i = 0;
  for (const auto& [range, count] : expected) {  // std::map orders by lo: ascending, as the bins
    EXPECT_EQ(h.bins[i].lo, range.first) << i;
    EXPECT_EQ(h.bins[i].hi, range.second) << i;
    EXPECT_EQ(h.bins[i].count, count) << i;
    ++i;
  }
}

std::vector<float> normal(size_t n, float sigma, uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

Histogram through_stats(const std::vector<float>& v, size_t chunk, float* origin = nullptr) {
  StatsAccumulator acc;
  HistogramAccumulator h;
  for (size_t i = 0; i < v.size(); i += chunk) acc.add(v.data() + i, std::min(chunk, v.size() - i), &h);
  if (origin) *origin = h.origin();
  return h.result();
}

TEST(Histogram, EmptyWithoutFiniteValues) {
  HistogramAccumulator h;
  const std::vector<float> v = {NAN, INFINITY, -INFINITY};
  h.add(v.data(), v.size());
  EXPECT_TRUE(h.result().empty());
  EXPECT_TRUE(through_stats(v, 2).empty());
}

TEST(Histogram, ZerosOfBothSignsAndSubnormalsShareTheBinAroundZero) {
  std::vector<float> v(1000, 0.0f);
  v[1] = -0.0f;
  v[2] = 1e-40f;  // subnormal
  const Histogram h = through_stats(v, 300);
  ASSERT_EQ(h.bins.size(), 1u);
  EXPECT_EQ(h.bins[0].count, 1000u);
  EXPECT_LT(h.bins[0].lo, 0.0);
  EXPECT_GT(h.bins[0].hi, 0.0);
}

TEST(Histogram, BinsAreSixteenPerPowerOfTwo) {
  const std::vector<float> v = {1.0f, 1.0624f, 1.0625f, 1.99f, 2.0f, -1.0f, -3.0e38f, 0.03f};
  HistogramAccumulator acc;  // origin 0
  acc.add(v.data(), v.size());
  const Histogram h = acc.result();
  expect_exact(h, v, 0.0f);
  ASSERT_EQ(h.bins.size(), 7u);
  EXPECT_EQ(h.bins[0].lo, -std::ldexp(1.0, 127) * (1 + 13.0 / 16));  // -3e38 = -2^127 * 1.76
  EXPECT_EQ(h.bins[1].lo, -1.0625);
  EXPECT_EQ(h.bins[1].hi, -1.0);
  EXPECT_EQ(h.bins[3].lo, 1.0);  // 1.0 and 1.0624
  EXPECT_EQ(h.bins[3].hi, 1.0625);
  EXPECT_EQ(h.bins[3].count, 2u);
  EXPECT_EQ(h.bins[4].lo, 1.0625);
  EXPECT_EQ(h.bins[5].lo, 1.9375);
  EXPECT_EQ(h.bins[6].lo, 2.0);
  EXPECT_EQ(h.bins[6].hi, 2.125);
}

TEST(Histogram, NormalValuesCountedExactlyWhateverTheChunks) {
  const auto v = normal(200003, 0.02f, 1);  // not a multiple of 4: the tail path too
  for (size_t chunk : {size_t(7), size_t(4096), size_t(1) << 20}) {
    float origin = 1;
    const Histogram h = through_stats(v, chunk, &origin);
    EXPECT_EQ(origin, 0.0f);  // values around 0: no origin needed
    expect_exact(h, v, 0.0f);
  }
}

TEST(Histogram, MergedPartsEqualTheWhole) {
  const auto a = normal(50000, 0.02f, 4), b = normal(30000, 2.0f, 5);
  HistogramAccumulator ha, hb;
  ha.add(a.data(), a.size());
  hb.add(b.data(), b.size());
  ha.merge(hb);
  std::vector<float> all = a;
  all.insert(all.end(), b.begin(), b.end());
  expect_exact(ha.result(), all, 0.0f);
}

TEST(Histogram, TheStatisticsPassBinsRelativeToTheFirstValue) {
  // A norm vector around 1.0: relative to 1.0 its values get bins as fine as a matrix's
  // around 0 (16 per power of two of the distance from 1.0, not of the value).
  auto v = normal(4096, 0.01f, 9);
  v[0] = 1.0f;
  for (size_t i = 1; i < v.size(); ++i) v[i] += 1.0f;
  float origin = 0;
  const Histogram h = through_stats(v, 1000, &origin);
  EXPECT_EQ(origin, 1.0f);
  expect_exact(h, v, 1.0f);
  EXPECT_GT(h.bins.size(), 200u);  // around 1.0 with an origin of 0 they would fill about 3 bins
  const auto lin = h.spread(h.lo(), h.hi(), 20);
  EXPECT_GT(lin[10], 5 * lin[1]);
}

TEST(Histogram, SpreadOntoLinearBinsKeepsTheCountsInsideTheRange) {
  const auto v = normal(100000, 1.0f, 6);
  const Histogram h = through_stats(v, 4096);
  const auto lin = h.spread(h.lo(), h.hi(), 40);
  ASSERT_EQ(lin.size(), 40u);
  double sum = 0;
  for (double c : lin) sum += c;
  EXPECT_NEAR(sum, double(h.total()), 1e-6 * double(h.total()));
  // A bell: the middle bins hold more than the outer ones.
  EXPECT_GT(lin[20], 10 * lin[2]);
  EXPECT_GT(lin[20], 10 * lin[37]);
  // Half the range: about half the values (those below the middle).
  const auto half = h.spread(h.lo(), (h.lo() + h.hi()) / 2, 10);
  double hs = 0;
  for (double c : half) hs += c;
  EXPECT_LT(hs, 0.6 * double(h.total()));
  EXPECT_GT(hs, 0.4 * double(h.total()));
}

TEST(Histogram, StatisticsAreBitForBitTheSameWithTheHistogram) {
  auto v = normal(123457, 0.5f, 7);
  v[10] = NAN;
  v[2000] = INFINITY;
  v[5000] = 0.0f;
  for (size_t chunk : {size_t(5), size_t(65536)}) {
    StatsAccumulator plain, fused;
    HistogramAccumulator h;
    for (size_t i = 0; i < v.size(); i += chunk) {
      plain.add(v.data() + i, std::min(chunk, v.size() - i));
      fused.add(v.data() + i, std::min(chunk, v.size() - i), &h);
    }
    const TensorStats x = plain.result(), y = fused.result();
    EXPECT_EQ(std::memcmp(&x.mean, &y.mean, sizeof(double)), 0);
    EXPECT_EQ(std::memcmp(&x.std, &y.std, sizeof(double)), 0);
    EXPECT_EQ(x.min, y.min);
    EXPECT_EQ(x.max, y.max);
    EXPECT_EQ(x.nan, y.nan);
    EXPECT_EQ(x.inf, y.inf);
    EXPECT_EQ(x.zeros, y.zeros);
    EXPECT_EQ(h.result().total(), v.size() - 2);
    expect_exact(h.result(), v, h.origin());
  }
}

TEST(Histogram, InspectReportCarriesValueAndScaleHistogramsWhenAsked) {
  auto bytes = test::write_bytes(*parse_format_name("ak42-v2-q8_0"), test::gqa_config());
  auto cp = test::open_bytes(bytes);
  ASSERT_TRUE(cp);
  InspectOptions opt;
  opt.stats = true;
  opt.histograms = true;
  auto r = build_inspect_report(std::move(*cp), opt);
  ASSERT_TRUE(r);
  for (size_t i = 0; i < r->cp.tensors.size(); ++i) {
    const auto& t = r->cp.tensors[i];
    const auto& s = r->stats[i];
    ASSERT_TRUE(s && s->histogram) << t.spec.name;
    EXPECT_EQ(s->histogram->total(), s->finite) << t.spec.name;
    if (t.spec.dtype == DType::q8_0) {
      ASSERT_TRUE(s->scale_histogram) << t.spec.name;
      EXPECT_EQ(s->scale_histogram->total(), t.spec.numel / uint64_t(r->cp.config->group_size)) << t.spec.name;
    } else {
      EXPECT_FALSE(s->scale_histogram) << t.spec.name;
    }
  }
  InspectOptions plain;
  plain.stats = true;
  auto p = build_inspect_report(*test::open_bytes(bytes), plain);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->stats[0]->histogram);
}

}  // namespace
}  // namespace ckpt
