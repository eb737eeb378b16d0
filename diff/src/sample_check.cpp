#include "sample_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ckpt/tensor_stream.hpp"
#include "ckpt/view_reader.hpp"

namespace ckpt::diffing {

namespace {

uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// True when the element rule holds between factor * A[pos_a[i]] and B[pos_b[i]] for
// every i. `slack` admits the few ulps a product in another precision can differ by.
bool values_fit(const Values& a, const Values& b, const ElementRule& rule, double factor, bool slack, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float x = factor == 1.0 ? a.v[i] : float(factor * double(a.v[i]));
    const float y = b.v[i];
    const float h = std::max(float(a.half_steps[i] * std::fabs(factor)), b.half_steps[i]);
    if (rule.equal(x, y, h)) continue;
    if (slack && std::isfinite(x) && std::isfinite(y) &&
        std::fabs(double(x) - double(y)) <= std::ldexp(std::max(std::fabs(double(x)), std::fabs(double(y))), -20))
      continue;
    return false;
  }
  return true;
}

}  // namespace

// The values of a view at arbitrary positions (all below its available count). Random
// access reads runs of consecutive positions at once; a stream is read once, in order.
bool gather(const Checkpoint& cp, const View& view, const std::vector<uint64_t>& pos, Values& out, bool force_stream) {
  ViewReader r(cp, view, force_stream);
  out.v.assign(pos.size(), 0.0f);
  out.half_steps.assign(pos.size(), 0.0f);
  std::vector<size_t> order(pos.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return pos[x] < pos[y]; });
  if (!pos.empty() && pos[order.back()] >= r.available()) return false;
  if (!r.random_access()) {
    const uint64_t eo = view.elem_offset();
    size_t k = 0;
    auto s = stream_f32(cp, tensor_of(cp, view), [&](uint64_t first, const float* v, size_t n) {
      while (k < order.size() && eo + pos[order[k]] < first + n) {
        out.v[order[k]] = v[eo + pos[order[k]] - first];
        ++k;
      }
      return k < order.size();
    });
    return s.ok() && k == order.size();
  }
  std::vector<float> vals, half_steps;
  for (size_t i = 0; i < order.size();) {
    size_t j = i + 1;
    while (j < order.size() && pos[order[j]] == pos[order[j - 1]] + 1 && j - i < 65536) ++j;
    vals.resize(j - i);
    half_steps.resize(j - i);
    if (!r.read(pos[order[i]], j - i, vals.data(), half_steps.data())) return false;
    for (size_t k = i; k < j; ++k) {
      out.v[order[k]] = vals[k - i];
      out.half_steps[order[k]] = half_steps[k - i];
    }
    i = j;
  }
  return true;
}

// Checks B[pos_b[i]] against factor * A[pos_a[i]]: a probe of the first positions
// first, so that a wrong hypothesis costs a few reads.
bool fits(const Side& a, const std::vector<uint64_t>& pos_a, const Side& b, const std::vector<uint64_t>& pos_b,
          const ElementRule& rule, double factor, bool slack) {
  constexpr size_t kProbe = 32;
  Values va, vb;
  if (pos_a.size() > kProbe) {
    std::vector<uint64_t> pa(pos_a.begin(), pos_a.begin() + kProbe), pb(pos_b.begin(), pos_b.begin() + kProbe);
    if (!gather(a.cp, a.view, pa, va, a.force_stream) || !gather(b.cp, b.view, pb, vb, b.force_stream)) return false;
    if (!values_fit(va, vb, rule, factor, slack, kProbe)) return false;
  }
  if (!gather(a.cp, a.view, pos_a, va, a.force_stream) || !gather(b.cp, b.view, pos_b, vb, b.force_stream))
    return false;
  return values_fit(va, vb, rule, factor, slack, pos_a.size());
}

std::vector<uint64_t> sample_positions(uint64_t numel, const std::vector<uint64_t>& extra) {
  std::vector<uint64_t> s = extra;
  if (numel <= kSampleSize) {
    for (uint64_t i = 0; i < numel; ++i) s.push_back(i);
  } else {
    // The first elements and the last one (edges are where layout mistakes show), then
    // hashed positions spread over the whole tensor.
    for (uint64_t i = 0; i < 16; ++i) s.push_back(i);
    s.push_back(numel - 1);
    for (uint64_t i = 0; s.size() < kSampleSize + extra.size(); ++i) s.push_back(mix64(i) % numel);
  }
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

namespace {

// Sorted unique copy.
std::vector<uint64_t> unique_sorted(std::vector<uint64_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Copies the values at `pos` out of values gathered at the sorted positions `all`.
void pick(const std::vector<uint64_t>& all, const Values& from, const std::vector<uint64_t>& pos, Values& out) {
  out.v.resize(pos.size());
  out.half_steps.resize(pos.size());
  for (size_t i = 0; i < pos.size(); ++i) {
    const size_t k = size_t(std::lower_bound(all.begin(), all.end(), pos[i]) - all.begin());
    out.v[i] = from.v[k];
    out.half_steps[i] = from.half_steps[k];
  }
}

// Whether every pair of gathered values relates as the hypothesis says.
bool related(const Hypothesis& h, const Values& va, const Values& vb, const ElementRule& rule) {
  if (!h.relation) return values_fit(va, vb, rule, 1.0, false, va.v.size());
  for (size_t i = 0; i < va.v.size(); ++i)
    if (!h.relation(va.v[i], vb.v[i])) return false;
  return true;
}

}  // namespace

std::optional<Diagnosis> first_fit(const Side& a, const Side& b, const std::vector<uint64_t>& pb,
                                   const std::vector<Hypothesis>& hs, const ElementRule& rule, uint64_t min_checked,
                                   size_t probe) {
  // The probes: each hypothesis' first mapped positions.
  std::vector<std::vector<uint64_t>> probe_a(hs.size()), probe_b(hs.size());
  std::vector<uint64_t> all_a, all_b;
  for (size_t h = 0; h < hs.size(); ++h) {
    for (size_t i = 0; i < pb.size() && probe_b[h].size() < probe; ++i) {
      const auto pa = hs[h].a_of(pb[i]);
      if (!pa) continue;
      probe_a[h].push_back(*pa);
      probe_b[h].push_back(pb[i]);
    }
    all_a.insert(all_a.end(), probe_a[h].begin(), probe_a[h].end());
    all_b.insert(all_b.end(), probe_b[h].begin(), probe_b[h].end());
  }
  all_a = unique_sorted(std::move(all_a));
  all_b = unique_sorted(std::move(all_b));
  Values ga, gb;
  if (!gather(a.cp, a.view, all_a, ga, a.force_stream) || !gather(b.cp, b.view, all_b, gb, b.force_stream))
    return std::nullopt;
  for (size_t h = 0; h < hs.size(); ++h) {
    if (probe_b[h].empty()) continue;
    Values va, vb;
    pick(all_a, ga, probe_a[h], va);
    pick(all_b, gb, probe_b[h], vb);
    if (!related(hs[h], va, vb, rule)) continue;
    std::vector<uint64_t> pa_full, pb_full;
    for (uint64_t p : pb)
      if (const auto pa = hs[h].a_of(p)) {
        pa_full.push_back(*pa);
        pb_full.push_back(p);
      }
    if (pb_full.size() < min_checked) continue;
    if (!gather(a.cp, a.view, pa_full, va, a.force_stream) || !gather(b.cp, b.view, pb_full, vb, b.force_stream) ||
        !related(hs[h], va, vb, rule))
      continue;
    Diagnosis d = hs[h].d;
    d.checked = pb_full.size();
    return d;
  }
  return std::nullopt;
}

}  // namespace ckpt::diffing
