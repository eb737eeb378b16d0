#include "rounding.hpp"

#include <fmt/core.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>

#include "sample_check.hpp"

namespace ckpt::diffing {

namespace {

// Quantized groups checked per tensor (whole groups of the largest candidate size).
constexpr uint64_t kBlocks = 64;

// The worst elements of the comparison pass, then the first mismatches, then the sample.
std::vector<uint64_t> positions_for(const TensorDiff& td, uint64_t numel) {
  std::vector<uint64_t> extra;
  if (td.max_abs) extra.push_back(td.max_abs->at.flat);
  if (td.max_rel) extra.push_back(td.max_rel->at.flat);
  for (const auto& e : td.first_mismatches) extra.push_back(e.flat);
  return sample_positions(numel, extra);
}

// A pair the comparison pass saw entirely, finite, differing, and still close.
bool close_enough(const MatchedPair& m, const TensorDiff& td, const PairAccum& acc) {
  if (m.a->numel != m.b->numel || td.compared != m.a->numel || td.extra_rows || acc.mismatches == 0) return false;
  if (acc.finite_pairs != acc.compared || !(acc.na > 0 && acc.nb > 0)) return false;
  return acc.dot / std::sqrt(acc.na * acc.nb) >= 0.99;
}

// "--atol X" with X the largest difference rounded up to 3 significant digits.
std::string atol_for(const TensorDiff& td) {
  if (!td.max_abs || !(td.max_abs->value > 0)) return "";
  const double v = td.max_abs->value;
  const double unit = std::pow(10.0, std::floor(std::log10(v)) - 2);
  return fmt::format("--atol {:g}", std::ceil(v / unit * (1 - 1e-12)) * unit);
}

float bf16_nearest(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  b = (b + 0x7FFFu + ((b >> 16) & 1u)) & 0xFFFF0000u;
  std::memcpy(&x, &b, 4);
  return x;
}

float bf16_toward_zero(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  b &= 0xFFFF0000u;
  std::memcpy(&x, &b, 4);
  return x;
}

float fp16_nearest(float x) { return float(Eigen::half(x)); }

constexpr Rounding kRoundings[] = {
    {"bf16", "nearest_even", bf16_nearest, "--ulp 32768"},
    {"bf16", "toward_zero", bf16_toward_zero, "--ulp 65535"},
    {"fp16", "nearest_even", fp16_nearest, "--rtol 0.00048828125 --atol 2.9802322e-08"},
};

bool all_rounded(const std::vector<float>& from, const std::vector<float>& to, float (*round)(float)) {
  for (size_t i = 0; i < from.size(); ++i)
    if (!(round(from[i]) == to[i])) return false;
  return true;
}

// The scale of one group of dequantized Q8_0 values: every value k * s for an integer
// |k| <= 127, s = max|v| / 127 (the largest maps to 127). nullopt when the values are
// not such multiples. The 1e-3 margin covers the fp32 (or fp16 scale) rounding of k * s;
// values that are not quantized land that close to integers with probability 2e-3 each.
std::optional<double> group_scale(const float* v, uint64_t g) {
  double amax = 0;
  for (uint64_t i = 0; i < g; ++i) amax = std::max(amax, std::fabs(double(v[i])));
  if (amax == 0) return 0.0;
  const double s = amax / 127.0;
  for (uint64_t i = 0; i < g; ++i) {
    const double k = double(v[i]) / s;
    if (std::fabs(k - std::nearbyint(k)) > 1e-3) return std::nullopt;
  }
  return s;
}

// The scales of every group of size g in the gathered blocks, or nullopt when a group
// is not quantized.
std::optional<std::vector<double>> scales(const std::vector<float>& v, uint64_t g) {
  std::vector<double> out;
  for (uint64_t i = 0; i + g <= v.size(); i += g) {
    auto s = group_scale(v.data() + i, g);
    if (!s) return std::nullopt;
    out.push_back(*s);
  }
  return out;
}

// |x - y| within `half_steps` halves of the groups' scales (0.6 rather than 0.5: a
// scale stored as fp16, as ggml does, moves each value by up to 127 * 2^-11 steps).
bool within(const std::vector<float>& x, const std::vector<float>& y, uint64_t g, const std::vector<double>& sx,
            const std::vector<double>& sy) {
  for (size_t i = 0; i < x.size(); ++i) {
    const double bound = 0.6 * ((sx.empty() ? 0 : sx[i / g]) + (sy.empty() ? 0 : sy[i / g]));
    if (std::fabs(double(x[i]) - double(y[i])) > bound) return false;
  }
  return true;
}

std::string q8_side_text(const char* who, uint64_t g) { return fmt::format("{} Q8_0 in groups of {}", who, g); }

// Both stored as Q8_0 (or one of them under a tolerance flag): the half steps are known.
std::optional<Diagnosis> stored_q8(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td, bool qa, bool qb) {
  const auto pos = positions_for(td, m.a->numel);
  Values va, vb;
  if (!gather(ctx.ca, *m.a, pos, va, ctx.force_stream) || !gather(ctx.cb, *m.b, pos, vb, ctx.force_stream))
    return std::nullopt;
  for (size_t i = 0; i < pos.size(); ++i)
    if (std::fabs(double(va.v[i]) - double(vb.v[i])) > double(va.half_steps[i]) + double(vb.half_steps[i]))
      return std::nullopt;
  Diagnosis d;
  d.kind = DiagnosisKind::quantized;
  d.precision = "q8_0";
  d.side = qa && qb ? "both" : qa ? "a" : "b";
  auto group = [](const Checkpoint& cp) -> std::optional<uint64_t> {
    if (cp.config && cp.config->group_size > 0) return uint64_t(cp.config->group_size);
    return std::nullopt;
  };
  if (qa) d.group_a = group(ctx.ca);
  if (qb) d.group_b = group(ctx.cb);
  const std::string ga = d.group_a ? std::to_string(*d.group_a) : "?",
                    gb = d.group_b ? std::to_string(*d.group_b) : "?";
  if (qa && qb)
    d.detail = fmt::format(
        "A and B are Q8_0 quantizations of the same weights (groups of {} and {}): every checked element differs by at "
        "most half a step of A's group plus half a step of B's",
        ga, gb);
  else
    d.detail = fmt::format(
        "{} is Q8_0 (groups of {}) and every checked element is within half a step of its group: "
        "the difference is the quantization",
        qa ? "A" : "B", qa ? ga : gb);
  d.accept = atol_for(td);
  d.checked = pos.size();
  return d;
}

// fp32 files holding dequantized values: find the group size.
std::optional<Diagnosis> dequantized_f32(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td) {
  const uint64_t n = m.a->numel;
  std::vector<uint64_t> candidates;
  for (uint64_t g : {32, 64, 128, 256, 16, 8, 4, 2})
    if (n % g == 0 && n > g) candidates.push_back(g);
  if (candidates.empty()) return std::nullopt;
  // Whole blocks of the largest candidate hold whole groups of every other (powers of 2).
  const uint64_t block = *std::max_element(candidates.begin(), candidates.end());
  std::vector<uint64_t> chosen;
  for (uint64_t p : positions_for(td, n)) chosen.push_back(p / block);
  std::vector<uint64_t> worst;  // the worst elements' blocks, and the first mismatches'
  if (td.max_abs) worst.push_back(td.max_abs->at.flat / block);
  if (td.max_rel) worst.push_back(td.max_rel->at.flat / block);
  for (const auto& e : td.first_mismatches) worst.push_back(e.flat / block);
  // Keep the worst blocks and an even spread of the others, kBlocks in all.
  std::sort(chosen.begin(), chosen.end());
  chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  std::vector<uint64_t> blocks = worst;
  const uint64_t stride = std::max<uint64_t>(1, chosen.size() / kBlocks);
  for (size_t i = 0; i < chosen.size() && blocks.size() < kBlocks + worst.size(); i += stride)
    blocks.push_back(chosen[i]);
  std::sort(blocks.begin(), blocks.end());
  blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
  std::vector<uint64_t> pos;
  for (uint64_t b : blocks)
    for (uint64_t i = 0; i < block; ++i) pos.push_back(b * block + i);
  Values va, vb;
  if (!gather(ctx.ca, *m.a, pos, va, ctx.force_stream) || !gather(ctx.cb, *m.b, pos, vb, ctx.force_stream))
    return std::nullopt;
  Diagnosis d;
  d.kind = DiagnosisKind::quantized;
  d.precision = "q8_0";
  d.accept = atol_for(td);
  d.checked = pos.size();
  std::optional<uint64_t> ga, gb;  // the first group size at which each side looks quantized
  for (uint64_t g : candidates) {
    const auto sa = scales(va.v, g), sb = scales(vb.v, g);
    if (sb && !sa && within(va.v, vb.v, g, {}, *sb)) {
      d.side = std::string("b");
      d.group_b = g;
      d.detail = fmt::format(
          "B is A quantized to Q8_0 in groups of {} and dequantized: in every checked group B's values are integer "
          "multiples of the group's scale and within half a step of A",
          g);
      return d;
    }
    if (sa && !sb && within(va.v, vb.v, g, *sa, {})) {
      d.side = std::string("a");
      d.group_a = g;
      d.detail = fmt::format(
          "A is B quantized to Q8_0 in groups of {} and dequantized: in every checked group A's values are integer "
          "multiples of the group's scale and within half a step of B",
          g);
      return d;
    }
    if (sa && !ga) ga = g;
    if (sb && !gb) gb = g;
  }
  if (!ga || !gb) return std::nullopt;
  // Both dequantized, with other group sizes (or other inputs): each within half a step.
  const uint64_t g = std::max(*ga, *gb);
  std::vector<double> sa = *scales(va.v, *ga), sb = *scales(vb.v, *gb);
  // Express both per group of the larger size: its bound is the largest scale inside.
  auto widen = [&](const std::vector<double>& s, uint64_t from) {
    std::vector<double> out(va.v.size() / g, 0.0);
    for (size_t i = 0; i < s.size(); ++i) out[i * from / g] = std::max(out[i * from / g], s[i]);
    return out;
  };
  if (!within(va.v, vb.v, g, widen(sa, *ga), widen(sb, *gb))) return std::nullopt;
  d.side = "both";
  d.group_a = ga;
  d.group_b = gb;
  d.detail = fmt::format(
      "A and B both hold dequantized Q8_0 values ({}, {}): every checked element differs by at most half a step of "
      "each",
      q8_side_text("A", *ga), q8_side_text("B", *gb));
  return d;
}

}  // namespace

std::span<const Rounding> roundings() { return kRoundings; }

std::optional<Diagnosis> rounded(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td, const PairAccum& acc) {
  if (!close_enough(m, td, acc)) return std::nullopt;
  const auto pos = positions_for(td, m.a->numel);
  Values va, vb;
  if (!gather(ctx.ca, *m.a, pos, va, ctx.force_stream) || !gather(ctx.cb, *m.b, pos, vb, ctx.force_stream))
    return std::nullopt;
  for (const Rounding& r : roundings()) {
    const bool b_rounded = all_rounded(va.v, vb.v, r.round);
    if (!b_rounded && !all_rounded(vb.v, va.v, r.round)) continue;
    Diagnosis d;
    d.kind = DiagnosisKind::rounded;
    d.precision = std::string(r.precision);
    d.rounding = std::string(r.rounding);
    d.side = std::string(1, b_rounded ? 'b' : 'a');
    d.accept = r.accept;
    d.checked = pos.size();
    d.detail =
        fmt::format("{} is {} rounded to {} ({}) on every checked element; {} accepts it", b_rounded ? "B" : "A",
                    b_rounded ? "A" : "B", r.precision,
                    r.rounding == std::string_view("nearest_even") ? "to nearest even" : "toward zero", r.accept);
    return d;
  }
  return std::nullopt;
}

std::optional<Diagnosis> quantized(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td,
                                   const ElementRule& rule, const PairAccum& acc) {
  // Under the Q8_0 bound a correct quantization compares equal: a difference is more.
  if (rule.q8_bound || !close_enough(m, td, acc)) return std::nullopt;
  const bool qa = tensor_of(ctx.ca, *m.a).spec.dtype == DType::q8_0;
  const bool qb = tensor_of(ctx.cb, *m.b).spec.dtype == DType::q8_0;
  auto d = qa || qb ? stored_q8(ctx, m, td, qa, qb) : dequantized_f32(ctx, m, td);
  if (d && !d->accept.empty()) d->detail += "; " + d->accept + " accepts it";
  return d;
}

}  // namespace ckpt::diffing
