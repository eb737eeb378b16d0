#include "reorder.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "ckpt/view_reader.hpp"
#include "fingerprint.hpp"
#include "orders.hpp"
#include "rounding.hpp"
#include "sample_check.hpp"
#include "value_lookup.hpp"

namespace ckpt::diffing {

namespace {

// Row and column positions sampled per row and per column up to this many of each, so
// that a row (column) permutation of a matrix up to this size is known entirely.
constexpr uint64_t kMaxMapped = 65536;
// Reshapes tried for reshaped_transposed (numbers with more divisors are rare).
constexpr size_t kMaxReshapes = 128;
// Row (column) maps are built for at most this many rows (columns): memory and the
// naming of the order stay bounded whatever shape a file claims.
constexpr uint64_t kMaxLines = uint64_t(1) << 20;

uint64_t mix(uint64_t x) {  // splitmix64 finaliser: spreads the sampled column of each row
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string shape_str(uint64_t r, uint64_t c) { return fmt::format("({}, {})", r, c); }

// Whether B holds exactly A's values (in some order), by fingerprint.
struct SameValues {
  enum { unknown, same, different } state = unknown;
  Fingerprint fp;  // A's (and, when same, B's)
};

std::optional<Fingerprint> fingerprint_of(const Side& s) {
  ViewReader r(s.cp, s.view, s.force_stream);
  if (r.available() < s.view.numel) return std::nullopt;
  Fingerprint f;
  std::vector<float> buf(size_t(std::min<uint64_t>(uint64_t(1) << 20, std::max<uint64_t>(s.view.numel, 1))));
  for (uint64_t first = 0; first < s.view.numel; first += buf.size()) {
    const size_t n = size_t(std::min<uint64_t>(buf.size(), s.view.numel - first));
    if (!r.read(first, n, buf.data(), nullptr)) return std::nullopt;
    add_fingerprint(buf.data(), n, f);
  }
  return f;
}

SameValues same_values(const Side& a, const Side& b, const TensorDiff& td, const PairAccum* acc) {
  SameValues s;
  if (a.view.numel != b.view.numel) return s;
  if (acc && !td.extra_rows && td.compared == a.view.numel) {
    // The comparison pass fingerprinted every block that differs; equal blocks add the same.
    s.fp = acc->fp_a;
    s.state = acc->fp_a == acc->fp_b ? SameValues::same : SameValues::different;
    return s;
  }
  const auto fa = fingerprint_of(a), fb = fingerprint_of(b);  // no comparison pass: one pass each
  if (!fa || !fb) return s;
  s.fp = *fa;
  s.state = *fa == *fb ? SameValues::same : SameValues::different;
  return s;
}

// Tiles (tt-metal's first), both ways and of the transpose. A tensor whose dims are
// multiples of the tile tiles into the same element count (a permutation: only tried when
// the values can be the same); otherwise the tiles are padded and the tiled side holds
// more elements.
void tile_hypotheses(const View& va, const View& vb, bool perm_possible, std::vector<Hypothesis>& hs) {
  for (const TileLayout t : kTileLayouts)
    for (const bool of_t : {false, true}) {
      const std::string inside = t.face < t.tile
                                     ? fmt::format("{0}x{0} tiles (four {1}x{1} faces each)", t.tile, t.face)
                                     : fmt::format("{0}x{0} tiles (row-major inside each tile)", t.tile);
      if (va.shape.size() == 2) {  // tilized: B's data is A's matrix (or A^T) in tiles
        const uint64_t ra = va.shape[0], ca = va.shape[1];
        const uint64_t r = of_t ? ca : ra, c = of_t ? ra : ca, pr = round_up(r, t.tile), pc = round_up(c, t.tile);
        const bool exact = pr == r && pc == c;
        if (r > t.tile / 2 && c > t.tile / 2 &&
            ((exact && perm_possible && vb.numel == r * c) || (!exact && vb.numel == pr * pc))) {
          Hypothesis h;
          h.d.kind = DiagnosisKind::tilized;
          h.d.shape = {pr, pc};
          h.d.of_transpose = of_t;
          h.d.tile = t.tile;
          h.d.face = t.face;
          h.d.detail =
              fmt::format("B's data is {} in {}, read as row-major", of_t ? "A^T " + shape_str(r, c) : "A", inside);
          if (!exact) h.d.detail += fmt::format("; the tiles are padded to {}", shape_str(pr, pc));
          h.a_of = [=](uint64_t p) -> std::optional<uint64_t> {
            const RowCol e = tile_element(p, pc, t);
            if (e.row >= r || e.col >= c) return std::nullopt;  // padding
            return of_t ? e.col * ca + e.row : e.row * ca + e.col;
          };
          hs.push_back(std::move(h));
        }
      }
      if (vb.shape.size() == 2) {  // untilized: A's data is B's matrix (or B^T) in tiles
        const uint64_t rb = vb.shape[0], cb = vb.shape[1];
        const uint64_t r = of_t ? cb : rb, c = of_t ? rb : cb, pr = round_up(r, t.tile), pc = round_up(c, t.tile);
        const bool exact = pr == r && pc == c;
        if (r > t.tile / 2 && c > t.tile / 2 &&
            ((exact && perm_possible && va.numel == r * c) || (!exact && va.numel == pr * pc))) {
          Hypothesis h;
          h.d.kind = DiagnosisKind::untilized;
          h.d.shape = {pr, pc};
          h.d.of_transpose = of_t;
          h.d.tile = t.tile;
          h.d.face = t.face;
          h.d.detail =
              fmt::format("A's data is {} in {}: B holds A's tiles read back {}", of_t ? "B^T " + shape_str(r, c) : "B",
                          inside, of_t ? "and transposed" : "row-major");
          if (!exact) h.d.detail += fmt::format("; A's tiles are padded to {}", shape_str(pr, pc));
          h.a_of = [=](uint64_t p) -> std::optional<uint64_t> {
            const uint64_t i = p / cb, j = p % cb;
            return of_t ? tile_position(j, i, pc, t) : tile_position(i, j, pc, t);
          };
          hs.push_back(std::move(h));
        }
      }
    }
}

// B = (A reshaped to (r, c))^T for every (r, c) with r * c = numel but A's own shape
// (that one is `transposed`).
void reshape_hypotheses(const View& va, std::vector<Hypothesis>& hs, size_t limit = kMaxReshapes) {
  const uint64_t n = va.numel;
  size_t tried = 0;
  for (uint64_t r : proper_divisors(n)) {
    const uint64_t c = n / r;
    if (va.shape.size() == 2 && va.shape[0] == r && va.shape[1] == c) continue;
    if (++tried > limit) break;
    Hypothesis h;
    h.d.kind = DiagnosisKind::reshaped_transposed;
    h.d.shape = {r, c};
    h.d.detail =
        fmt::format("B = (A reshaped to {})^T: B's data is the {} transpose of A's elements read as a {} matrix",
                    shape_str(r, c), shape_str(c, r), shape_str(r, c));
    h.a_of = [=](uint64_t p) -> std::optional<uint64_t> { return (p % r) * c + p / r; };
    hs.push_back(std::move(h));
  }
}

// B = A^T under B's shape (c, r) or A's own (r, c) (diagnose.cpp checks it alone; here it
// is one of the layouts combined with a rounding).
void transpose_hypothesis(const View& va, const View& vb, std::vector<Hypothesis>& hs) {
  const auto &sa = va.shape, &sb = vb.shape;
  if (sa.size() != 2 || sb.size() != 2 || va.numel != vb.numel) return;
  if (sb != sa && !(sa[0] == sb[1] && sa[1] == sb[0])) return;
  const uint64_t r = sa[0], c = sa[1];
  Hypothesis h;
  h.d.kind = DiagnosisKind::transposed;
  h.d.detail = sb == sa && r != c
                   ? fmt::format("B holds A^T: A is {} and B's data is the {} transpose under the same shape",
                                 shape_str(r, c), shape_str(c, r))
                   : fmt::format("B = A^T: A is {}, B is {}", shape_str(r, c), shape_str(c, r));
  h.a_of = [=](uint64_t p) -> std::optional<uint64_t> { return (p % r) * c + p / r; };
  hs.push_back(std::move(h));
}

// Every layout above combined with every rounding, either side rounded: a port that
// re-laid the matrices out and stored bf16 (tt-metal's native type) or fp16.
std::vector<Hypothesis> rounded_layouts(const View& va, const View& vb) {
  std::vector<Hypothesis> base, out;
  transpose_hypothesis(va, vb, base);
  tile_hypotheses(va, vb, true, base);
  reshape_hypotheses(va, base, 16);
  for (const Rounding& r : roundings())
    for (const char side : {'b', 'a'})
      for (const Hypothesis& h : base) {
        Hypothesis x = h;
        x.d.precision = r.precision;
        x.d.rounding = r.rounding;
        x.d.side = std::string(1, side);
        x.d.accept = r.accept;
        x.d.detail += fmt::format("; {}'s values are {}'s rounded to {} ({})", side == 'b' ? "B" : "A",
                                  side == 'b' ? "A" : "B", r.precision,
                                  std::string_view(r.rounding) == "nearest_even" ? "to nearest even" : "toward zero");
        const auto round = r.round;
        if (side == 'b')
          x.relation = [round](float a, float b) { return round(a) == b; };
        else
          x.relation = [round](float a, float b) { return round(b) == a; };
        out.push_back(std::move(x));
      }
  return out;
}

// A reordering of rounded values changes the fingerprints but hardly the norm (bf16
// moves each square by at most 2^-7 of itself), and leaves a cosine far from 1.
bool rounded_reordering_possible(const PairAccum& acc) {
  if (acc.finite_pairs != acc.compared || !(acc.na > 0 && acc.nb > 0)) return false;
  return std::fabs(acc.na - acc.nb) <= acc.na / 64 && acc.dot / std::sqrt(acc.na * acc.nb) < 0.99;
}

// The head size that makes blocks of rows (columns of wo) "heads", 0 when none applies.
uint64_t head_size_for(const DiagContext& ctx, const std::string& name) {
  if (name.find("attention.w") == std::string::npos) return 0;
  for (const auto* c : {&ctx.ca.config, &ctx.cb.config})
    if (*c && (*c)->head_size() > 0) return uint64_t((*c)->head_size());
  return 0;
}

// Rows (along = true) or columns moved whole: the map from B's rows (columns) to A's,
// from the sampled positions whose value sits at exactly one place of A in the same
// column (row). nullopt when a sampled value is nowhere in that column (row), when two
// samples disagree, or when two rows of B come from one row of A.
std::optional<std::vector<int64_t>> whole_lines(const ValueMatches& m, uint64_t rows, uint64_t cols, bool along_rows,
                                                uint64_t& informative) {
  informative = 0;
  if ((along_rows ? rows : cols) > kMaxLines) return std::nullopt;
  std::vector<int64_t> map(along_rows ? rows : cols, -1);
  for (size_t i = 0; i < m.pb.size(); ++i) {
    if (m.count[i] > ValueMatches::kMax) continue;  // a value too common to say anything
    const uint64_t pb = m.pb[i];
    int64_t line = -1;
    int found = 0;
    for (uint8_t k = 0; k < m.count[i]; ++k) {
      const uint64_t pa = m.at[i][k];
      if (along_rows ? pa % cols != pb % cols : pa / cols != pb / cols) continue;
      ++found;
      line = int64_t(along_rows ? pa / cols : pa % cols);
    }
    if (found == 0) return std::nullopt;
    if (found > 1) continue;  // ambiguous
    ++informative;
    int64_t& slot = map[along_rows ? pb / cols : pb % cols];
    if (slot >= 0 && slot != line) return std::nullopt;
    slot = line;
  }
  std::vector<int64_t> seen;
  for (int64_t x : map)
    if (x >= 0) seen.push_back(x);
  std::sort(seen.begin(), seen.end());
  if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) return std::nullopt;
  return map;
}

std::optional<Diagnosis> permutation_by_lookup(const DiagContext& ctx, const Side& a, const Side& b,
                                               const TensorDiff& td, const Fingerprint& fp) {
  const View& va = a.view;
  const uint64_t n = va.numel;
  const uint64_t rows = va.shape.size() >= 2 ? va.shape[0] : 1, cols = n / std::max<uint64_t>(rows, 1);
  std::vector<uint64_t> pb = sample_positions(n);
  for (const auto& e : td.first_mismatches) pb.push_back(e.flat);  // where values moved for sure
  if (rows >= 2 && rows <= kMaxMapped)
    for (uint64_t r = 0; r < rows; ++r) pb.push_back(r * cols + mix(r) % cols);
  if (cols <= kMaxMapped)
    for (uint64_t c = 0; c < cols; ++c) pb.push_back((mix(c + n) % rows) * cols + c);
  std::sort(pb.begin(), pb.end());
  pb.erase(std::unique(pb.begin(), pb.end()), pb.end());
  ValueMatches m;
  if (!match_values(a, b, std::move(pb), m) || m.missing) return std::nullopt;
  // Every value where it was: the same order under another shape header, not a reordering.
  bool moved = false;
  for (size_t i = 0; i < m.pb.size() && !moved; ++i)
    if (m.count[i] <= ValueMatches::kMax)
      moved = std::find(m.at[i].begin(), m.at[i].begin() + m.count[i], m.pb[i]) == m.at[i].begin() + m.count[i];
  if (!moved) return std::nullopt;
  const uint64_t hs = head_size_for(ctx, td.name);
  const uint64_t need = std::min<uint64_t>(16, m.pb.size());
  Diagnosis d;
  d.fingerprint = fp;
  uint64_t informative = 0;
  if (rows >= 2)
    if (auto map = whole_lines(m, rows, cols, true, informative); map && informative >= need)
      if (auto o = name_order(*map, "rows", hs)) {
        d.kind = DiagnosisKind::rows_permuted;
        d.pattern = o->pattern, d.order = o->order, d.block = o->block, d.shift = o->shift;
        d.detail = "B's rows are A's rows " + o->text;
        d.checked = informative;
        return d;
      }
  if (auto map = whole_lines(m, rows, cols, false, informative); map && informative >= need)
    if (auto o = name_order(*map, rows >= 2 ? "columns" : "elements", rows >= 2 ? hs : 0)) {
      d.kind = rows >= 2 ? DiagnosisKind::columns_permuted : DiagnosisKind::permuted;
      d.pattern = o->pattern, d.order = o->order, d.block = o->block, d.shift = o->shift;
      d.detail = rows >= 2 ? "B's columns are A's columns " + o->text
                           : "same values, another order: B's elements are A's " + o->text;
      d.checked = informative;
      return d;
    }
  d.kind = DiagnosisKind::permuted;
  d.checked = m.pb.size();
  d.detail = fmt::format(
      "same values, another order: the fingerprints of A and B agree over the {} elements of the blocks that differ "
      "(sum {:#018x}, sum of squares {:#018x}) and each of {} sampled values of B is in A; no transpose, tile, row or "
      "column order fits",
      fp.count, fp.sum, fp.sum_squares, m.pb.size());
  return d;
}

// B's sample, the first mismatches first: a wrong hypothesis fails on them at once.
std::vector<uint64_t> sample_for_layouts(const TensorDiff& td, uint64_t numel_b) {
  std::vector<uint64_t> pb;
  for (const auto& e : td.first_mismatches) pb.push_back(e.flat);
  const auto first_end = [&] { return pb.begin() + ptrdiff_t(td.first_mismatches.size()); };
  for (uint64_t p : sample_positions(numel_b))
    if (std::find(pb.begin(), first_end(), p) == first_end()) pb.push_back(p);
  return pb;
}

}  // namespace

std::optional<Diagnosis> reordered(DiagContext& ctx, const MatchedPair& m, const TensorDiff& td,
                                   const ElementRule& rule, const PairAccum* acc) {
  const View &va = *m.a, &vb = *m.b;
  if (va.numel < 2 || vb.numel < 2) return std::nullopt;
  const Side a{ctx.ca, va, ctx.force_stream}, b{ctx.cb, vb, ctx.force_stream};
  if (ViewReader(ctx.ca, va).available() < va.numel || ViewReader(ctx.cb, vb).available() < vb.numel)
    return std::nullopt;
  const SameValues same = same_values(a, b, td, acc);
  // Under a tolerance (or the Q8_0 bound) a reordering need not keep the bits.
  const bool exact = !rule.use_tol && !rule.use_ulp && !rule.q8_bound;
  const bool perm_possible = same.state == SameValues::same || (!exact && va.numel == vb.numel);
  std::vector<Hypothesis> hs;
  tile_hypotheses(va, vb, perm_possible, hs);
  if (perm_possible) reshape_hypotheses(va, hs);
  if (!hs.empty()) {
    const uint64_t min_checked = std::min<uint64_t>(16, vb.numel / 2);
    if (auto d = first_fit(a, b, sample_for_layouts(td, vb.numel), hs, rule, min_checked)) {
      if (same.state == SameValues::same) d->fingerprint = same.fp;
      return d;
    }
  }
  if (same.state == SameValues::same) return permutation_by_lookup(ctx, a, b, td, same.fp);
  if (exact && acc && same.state == SameValues::different && rounded_reordering_possible(*acc)) {
    // A wrong layout fails on its first position: 4 probes each keep the read small.
    const std::vector<Hypothesis> composed = rounded_layouts(va, vb);
    if (auto d = first_fit(a, b, sample_for_layouts(td, vb.numel), composed, rule, 16, 4)) return d;
  }
  return std::nullopt;
}

}  // namespace ckpt::diffing
