#include "diagnose.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "ckpt/view_reader.hpp"
#include "reorder.hpp"
#include "rounding.hpp"
#include "sample_check.hpp"

namespace ckpt::diffing {

namespace {

// Puts the first mismatches at the front so that probes test them first.
std::vector<uint64_t> sample_for(const TensorDiff& td, uint64_t numel) {
  std::vector<uint64_t> first;
  for (const auto& m : td.first_mismatches) first.push_back(m.flat);
  std::vector<uint64_t> s = sample_positions(numel);
  std::vector<uint64_t> out = first;
  for (uint64_t p : s)
    if (std::find(first.begin(), first.end(), p) == first.end()) out.push_back(p);
  return out;
}

std::string side_name(char side) { return side == 'a' ? "A" : "B"; }

std::string index_str(const std::vector<uint64_t>& idx) {
  std::string s = "[";
  for (size_t i = 0; i < idx.size(); ++i) s += (i ? ", " : "") + std::to_string(idx[i]);
  return s + "]";
}

// ---- one function per diagnosis ------------------------------------------------------

std::optional<Diagnosis> truncated_file(const MatchedPair& m, const TensorDiff& td, DiagContext& ctx) {
  if (td.missing == 0) return std::nullopt;
  const ViewReader ra(ctx.ca, *m.a), rb(ctx.cb, *m.b);
  const char side = ra.available() < rb.available() ? 'a' : 'b';
  const View& v = side == 'a' ? *m.a : *m.b;
  const uint64_t present = std::min(ra.available(), rb.available());
  Diagnosis d;
  d.kind = DiagnosisKind::truncated;
  const TensorInfo& t = tensor_of(side == 'a' ? ctx.ca : ctx.cb, v);
  std::string where = t.truncated_at ? fmt::format(" (the file ends at byte {})", *t.truncated_at) : "";
  d.detail = fmt::format("{}'s file is truncated inside this tensor{}: {} of {} elements present, {}", side_name(side),
                         where, present, td.numel,
                         td.mismatches ? fmt::format("{} of them differ", td.mismatches) : "those are equal");
  d.checked = present;
  return d;
}

std::optional<Diagnosis> extra_rows(const TensorDiff& td) {
  const ExtraRows& x = *td.extra_rows;
  Diagnosis d;
  const std::string more = side_name(x.side), fewer = side_name(x.side == 'a' ? 'b' : 'a');
  if (td.status == DiffStatus::equal) {
    d.kind = DiagnosisKind::padded;
    d.detail = fmt::format(
        "{} has {} zero rows after row {} (vocabulary padded to a multiple of 32); the {} common rows are equal", more,
        x.rows, x.first_row - 1, x.first_row);
    return d;
  }
  if (td.mismatches || td.missing) return std::nullopt;
  d.kind = DiagnosisKind::truncated;
  d.detail = fmt::format("{} holds only the first {} of {}'s {} rows, and they are equal{}", fewer, x.first_row, more,
                         x.first_row + x.rows, x.all_zero ? " (the missing rows are all zero in " + more + ")" : "");
  d.checked = td.compared;
  return d;
}

std::optional<Diagnosis> zero_filled(const TensorDiff& td, const PairAccum& acc) {
  if (acc.mismatches == 0) return std::nullopt;
  const bool b_zero = acc.b_zero == acc.mismatches, a_zero = acc.a_zero == acc.mismatches;
  if (!b_zero && !a_zero) return std::nullopt;
  const char side = b_zero ? 'b' : 'a';
  const double norm = b_zero ? acc.nb : acc.na;
  Diagnosis d;
  d.kind = DiagnosisKind::zero_filled;
  d.checked = td.compared;
  if (norm == 0 && acc.finite_pairs == acc.compared)
    d.detail = fmt::format("{} is all zeros", side_name(side));
  else
    d.detail = fmt::format("{} is zero at all {} mismatching elements, the first at {}", side_name(side),
                           acc.mismatches, td.first_mismatches.empty() ? "?" : index_str(td.first_mismatches[0].index));
  return d;
}

std::optional<Diagnosis> scaled(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td, const ElementRule& rule,
                                const PairAccum& acc) {
  if (!(acc.na > 0 && acc.nb > 0) || acc.finite_pairs != acc.compared) return std::nullopt;
  // Least squares B ~ c A from the full pass; |cosine| ~ 1 says the fit is exact (under
  // a tolerance, e.g. Q8_0 against fp32, the noise allows less: the sample decides).
  const double c = acc.dot / acc.na, cosine = acc.dot / std::sqrt(acc.na * acc.nb);
  const bool exact = !rule.use_tol && !rule.use_ulp && !rule.q8_bound;
  if (std::fabs(std::fabs(cosine) - 1) > (exact ? 1e-6 : 1e-3) || std::fabs(c - 1) < 1e-6) return std::nullopt;
  // Under quantization noise the estimate is off in the 4th digit, enough to push an
  // element at its group's bound over it: try c itself, then c rounded to 1..4
  // significant digits (the constants people scale by), and keep the first that fits.
  std::vector<double> factors = {std::fabs(c + 1) < 1e-6 ? -1.0 : c};
  for (int digits = 1; digits <= 4; ++digits) {
    const double mag = std::pow(10.0, digits - 1 - std::floor(std::log10(std::fabs(c))));
    const double r = std::round(c * mag) / mag;
    if (std::fabs(r - c) <= 1e-3 * std::fabs(c) && r != 1.0) factors.push_back(r);
  }
  const auto pos = sample_for(td, td.compared);
  std::optional<double> found;
  for (double f : factors)
    if (fits({ctx.ca, *m.a, ctx.force_stream}, pos, {ctx.cb, *m.b, ctx.force_stream}, pos, rule, f, true)) {
      found = f;
      break;
    }
  if (!found) return std::nullopt;
  const double factor = *found;
  Diagnosis d;
  d.checked = pos.size();
  if (factor == -1.0) {
    d.kind = DiagnosisKind::sign_flipped;
    d.detail = fmt::format("B = -A (on all {} checked elements)", pos.size());
  } else {
    d.kind = DiagnosisKind::scaled;
    d.factor = factor;
    d.detail = fmt::format("B = {:.7g} * A", factor);
  }
  return d;
}

std::optional<Diagnosis> transposed(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td,
                                    const ElementRule& rule) {
  // B may say (c, r), or keep A's shape (r, c) over data written as A^T: another
  // project's matrices read with the wrong convention. The flat mapping is the same.
  const auto &sa = m.a->shape, &sb = m.b->shape;
  if (sa.size() != 2 || sb.size() != 2 || m.a->numel < 2 || m.a->numel != m.b->numel) return std::nullopt;
  if (sb != sa && !(sa[0] == sb[1] && sa[1] == sb[0])) return std::nullopt;
  const uint64_t r = sa[0], c = sa[1];  // A is (r, c), B holds the (c, r) matrix A^T
  const uint64_t avail = std::min(ViewReader(ctx.ca, *m.a).available(), ViewReader(ctx.cb, *m.b).available());
  if (avail < m.a->numel) return std::nullopt;
  std::vector<uint64_t> pb = sample_for(td, m.b->numel), pa;
  for (uint64_t p : pb) pa.push_back((p % r) * c + p / r);  // B[j][i] = A[i][j]
  if (!fits({ctx.ca, *m.a, ctx.force_stream}, pa, {ctx.cb, *m.b, ctx.force_stream}, pb, rule)) return std::nullopt;
  Diagnosis d;
  d.kind = DiagnosisKind::transposed;
  d.detail = sb == sa && r != c
                 ? fmt::format("B holds A^T: A is ({}, {}) and B's data is the ({}, {}) transpose under the same shape",
                               r, c, c, r)
                 : fmt::format("B = A^T: A is ({}, {}), B is ({}, {})", r, c, c, r);
  d.checked = pb.size();
  return d;
}

// Head sizes to try: the config's first; then, since tt-train files store no head
// count, every even divisor of the row count from 4 up (a wrong one fails its probe).
std::vector<uint64_t> head_sizes(const DiagContext& ctx, uint64_t rows) {
  std::vector<uint64_t> out;
  for (const auto* c : {&ctx.ca.config, &ctx.cb.config})
    if (*c && (*c)->head_size() >= 4 && (*c)->head_size() % 2 == 0 && rows % uint64_t((*c)->head_size()) == 0)
      out.push_back(uint64_t((*c)->head_size()));
  for (uint64_t head_size = 4; head_size <= rows; head_size += 2)
    if (rows % head_size == 0 && std::find(out.begin(), out.end(), head_size) == out.end()) out.push_back(head_size);
  return out;
}

std::optional<Diagnosis> rotary(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td, const ElementRule& rule) {
  if (!td.name.ends_with("attention.wq.weight") && !td.name.ends_with("attention.wk.weight")) return std::nullopt;
  if (m.a->shape != m.b->shape || m.a->shape.size() != 2 || td.compared < m.a->numel) return std::nullopt;
  const uint64_t rows = m.a->shape[0], cols = m.a->shape[1];
  const std::vector<uint64_t> pb = sample_for(td, m.b->numel);
  for (uint64_t head_size : head_sizes(ctx, rows)) {
    const uint64_t half = head_size / 2;
    for (const char* dir : {"hf_to_meta", "meta_to_hf"}) {
      std::vector<uint64_t> pa;
      for (uint64_t p : pb) {
        const uint64_t rb = p / cols, h = rb / head_size, w = rb % head_size;
        // HF -> Meta: new row h*hs + 2i + k = old row h*hs + k*hs/2 + i, hs the head size (FORMATS.md).
        const uint64_t ra =
            dir[0] == 'h' ? h * head_size + (w % 2) * half + w / 2 : h * head_size + 2 * (w % half) + w / half;
        pa.push_back(ra * cols + p % cols);
      }
      if (!fits({ctx.ca, *m.a, ctx.force_stream}, pa, {ctx.cb, *m.b, ctx.force_stream}, pb, rule)) continue;
      Diagnosis d;
      d.kind = DiagnosisKind::rotary_permutation;
      d.direction = dir;
      d.checked = pb.size();
      d.detail =
          fmt::format("B's rows are A's permuted from the {} to the {} rotary pairing within each head (head size {})",
                      dir[0] == 'h' ? "Hugging Face" : "Meta", dir[0] == 'h' ? "Meta" : "Hugging Face", head_size);
      if (head_size == 4) d.detail += "; at head size 4 the permutation is its own inverse";
      return d;
    }
  }
  return std::nullopt;
}

// "layers.3.attention.wq.weight" -> (3, "attention.wq.weight"); (-1, name) otherwise.
std::pair<long, std::string> split_layer(const std::string& name) {
  if (name.rfind("layers.", 0) != 0) return {-1, name};
  const size_t dot = name.find('.', 7);
  if (dot == std::string::npos) return {-1, name};
  try {
    return {std::stol(name.substr(7, dot - 7)), name.substr(dot + 1)};
  } catch (...) {
    return {-1, name};
  }
}

std::optional<Diagnosis> swapped(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td,
                                 const ElementRule& rule) {
  if (td.compared < m.b->numel) return std::nullopt;
  const auto [layer, kind] = split_layer(td.name);
  // Candidates: the same kind in other layers, nearest first, then every other tensor
  // of the same shape in file order.
  std::vector<std::pair<long, const View*>> cands;
  for (const auto& v : ctx.views_a) {
    if (v.name == td.name || v.shape != m.b->shape) continue;
    const auto [l, k] = split_layer(v.name);
    const long rank = layer >= 0 && l >= 0 && k == kind ? std::labs(l - layer) : 1L << 30;
    cands.push_back({rank, &v});
  }
  std::stable_sort(cands.begin(), cands.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  const std::vector<uint64_t> pos = sample_for(td, m.b->numel);
  for (const auto& [rank, v] : cands) {
    if (!fits({ctx.ca, *v, ctx.force_stream}, pos, {ctx.cb, *m.b, ctx.force_stream}, pos, rule)) continue;
    Diagnosis d;
    d.other = v->name;
    d.checked = pos.size();
    const auto [l, k] = split_layer(v->name);
    if (rank < (1L << 30)) {
      d.kind = DiagnosisKind::layers_shifted;
      d.shift = l - layer;
      d.detail = fmt::format("B's {} holds A's {} (layer {} holds layer {}: shifted by {:+d})", td.name, v->name, layer,
                             l, l - layer);
    } else {
      d.kind = DiagnosisKind::swapped;
      d.detail = fmt::format("B's {} holds A's {}", td.name, v->name);
    }
    return d;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Diagnosis> diagnose_classifier(DiagContext& ctx, const MatchedPair& m, const ElementRule& rule) {
  if (m.name != "output.weight" || (m.a && m.b)) return std::nullopt;
  const bool in_a = m.a != nullptr;
  const Checkpoint& other = in_a ? ctx.cb : ctx.ca;
  if (!other.config || !other.config->shared_classifier) return std::nullopt;
  const View* present = in_a ? m.a : m.b;
  const View* emb = nullptr;
  for (const auto& v : in_a ? ctx.views_b : ctx.views_a)
    if (v.name == "tok_embeddings.weight") emb = &v;
  if (!emb || emb->shape != present->shape) return std::nullopt;
  const Side p{in_a ? ctx.ca : ctx.cb, *present, ctx.force_stream};
  const Side e{other, *emb, ctx.force_stream};
  ElementRule r = rule;  // a Q8_0 embedding against an fp32 classifier: the group bound
  r.q8_bound = tensor_of(in_a ? ctx.ca : ctx.cb, *present).spec.dtype != tensor_of(other, *emb).spec.dtype &&
               !r.use_tol && !r.use_ulp;
  const auto pos = sample_positions(present->numel);
  const bool same = in_a ? fits(p, pos, e, pos, r) : fits(e, pos, p, pos, r);
  Diagnosis d;
  d.kind = same ? DiagnosisKind::shared_classifier : DiagnosisKind::untied_classifier;
  d.other = "tok_embeddings.weight";
  d.checked = pos.size();
  const std::string has = in_a ? "A" : "B", shares = in_a ? "B" : "A";
  d.detail =
      fmt::format("{} shares its classifier with tok_embeddings; {}'s output.weight {} {}'s tok_embeddings.weight",
                  shares, has, same ? "equals" : "differs from", shares);
  return d;
}

std::optional<Diagnosis> diagnose(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td, const ElementRule& rule,
                                  const PairAccum* acc) {
  if (auto d = truncated_file(m, td, ctx)) return d;
  if (td.extra_rows) {
    if (auto d = extra_rows(td)) return d;
    return reordered(ctx, m, td, rule, acc);  // tiles padded to a multiple of 32 rows
  }
  if (td.status == DiffStatus::shape_mismatch || !acc) {
    if (auto d = transposed(ctx, m, td, rule)) return d;
    return reordered(ctx, m, td, rule, nullptr);
  }
  if (auto d = zero_filled(td, *acc)) return d;
  if (auto d = scaled(ctx, m, td, rule, *acc)) return d;
  if (auto d = rounded(ctx, m, td, *acc)) return d;
  if (auto d = quantized(ctx, m, td, rule, *acc)) return d;
  if (auto d = transposed(ctx, m, td, rule)) return d;
  if (auto d = rotary(ctx, m, td, rule)) return d;
  if (auto d = reordered(ctx, m, td, rule, acc)) return d;
  return swapped(ctx, m, td, rule);
}

}  // namespace ckpt::diffing
