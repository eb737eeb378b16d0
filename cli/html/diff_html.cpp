#include "diff_html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "diff_text.hpp"
#include "layers.hpp"
#include "page.hpp"
#include "svg.hpp"

namespace ckpt::cli::html {

namespace {

// Fixed domains, so that a colour means the same in every report: fp32 rounding noise is
// at the light end, a wrong tensor of weights around 0.02 at the dark end.
constexpr MetricScale kScales[kMetrics] = {
    {"max_abs", "max |a − b|", -7, 1}, {"rmse", "rmse", -8, 0}, {"one_minus_cos", "1 − cosine", -10, 0}};

std::optional<double> metric_value(const TensorDiff& t, int m) {
  if (t.compared == 0) return std::nullopt;
  const double max_abs = t.max_abs ? t.max_abs->value : 0.0;
  if (m == 0) return max_abs;
  if (m == 1) return t.rmse;
  if (max_abs == 0) return 0.0;
  if (!t.cosine) return 1.0;  // one side is all zeros
  return std::max(1.0 - *t.cosine, 1e-16);
}

bool differs(const TensorDiff& t) { return t.status != DiffStatus::equal && !t.layout_only; }

std::string ink(const std::string& fill) {
  if (fill.size() != 7 || fill[0] != '#') return "#1f2430";
  const Rgb c{std::stoi(fill.substr(1, 2), nullptr, 16), std::stoi(fill.substr(3, 2), nullptr, 16),
              std::stoi(fill.substr(5, 2), nullptr, 16)};
  return c.dark() ? "#ffffff" : "#1f2430";
}

std::string shape_str(const std::vector<uint64_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

std::string index_str(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string status_badge(const TensorDiff& t) {
  const std::string s(diff_status_name(t.status));
  return fmt::format(R"(<span class="badge b-{}">{}</span>)", s, s);
}

std::string short_kind(const std::string& k) {
  if (k == "attention_norm") return "attn norm";
  if (k == "ffn_norm") return "ffn norm";
  return k.size() > 11 ? k.substr(0, 10) + "…" : k;
}

// ---- the numbers of one tensor (the heatmap's panel and the detail sections) -------

std::string facts_table(const TensorDiff& t) {
  std::string s = "<table>";
  auto row = [&](std::string_view k, const std::string& v) {
    s += fmt::format("<tr><td>{}</td><td class=\"mono\">{}</td></tr>", k, v);
  };
  if (!t.dtype_a.empty())
    row("A", esc(t.dtype_a + " " + shape_str(t.shape_a) + (t.source_a.empty() ? "" : "  " + t.source_a)));
  if (!t.dtype_b.empty())
    row("B", esc(t.dtype_b + " " + shape_str(t.shape_b) + (t.source_b.empty() ? "" : "  " + t.source_b)));
  if (!t.rule.empty()) row("rule", esc(t.rule));
  if (t.compared || t.missing) {
    row("mismatches", fmt::format("{} of {} ({:.4g}%)", count_text(t.mismatches), count_text(t.compared), t.percent()));
    if (t.missing) row("missing", count_text(t.missing) + " elements");
  }
  if (t.max_abs)
    row("max |a − b|", fmt::format("{} at {} (A {}, B {})", num(t.max_abs->value, 4), index_str(t.max_abs->at.index),
                                   num(t.max_abs->at.a, 6), num(t.max_abs->at.b, 6)));
  if (t.max_rel) row("max rel", fmt::format("{} at {}", num(t.max_rel->value, 4), index_str(t.max_rel->at.index)));
  if (t.compared) row("rmse", num(t.rmse, 4));
  if (t.cosine) row("cosine", fmt::format("{:.9f}", *t.cosine));
  if (t.extra_rows)
    row("extra rows",
        fmt::format("{} has {} more rows from row {}{}", char(std::toupper(t.extra_rows->side)), t.extra_rows->rows,
                    t.extra_rows->first_row, t.extra_rows->all_zero ? " (all zero)" : ""));
  s += "</table>";
  if (t.diagnosis)
    s += fmt::format(R"(<p><span class="badge b-diag">{}</span> {}</p>)", esc(std::string(t.diagnosis->name())),
                     esc(t.diagnosis->detail));
  return s;
}

// ---- the heatmap -------------------------------------------------------------------

struct Cell {
  const TensorDiff* t;
  size_t id;
};

std::string cell_svg(const Cell& c, double x, double y, double w, double h) {
  const TensorDiff& t = *c.t;
  std::string data;
  for (int m = 0; m < kMetrics; ++m) {
    const std::string f = cell_fill(t, m);
    data += fmt::format(R"( data-fill-{0}="{1}" data-ink-{0}="{2}")", kScales[m].id, f, ink(f));
  }
  const std::string fill = cell_fill(t, 0),
                    glyph = t.diagnosis ? diagnosis_glyph(std::string(t.diagnosis->name())) : "";
  std::string s = fmt::format(
      R"(<g class="cell" data-id="{}" data-tensor="{}" data-status="{}" data-diagnosis="{}"{}>)", c.id, esc(t.name),
      diff_status_name(t.status), t.diagnosis ? esc(std::string(t.diagnosis->name())) : "", data);
  // A tensor that differs beyond the rule is outlined; one equal within the rule is not.
  s += fmt::format(
      R"(<rect class="fill" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" rx="2" fill="{}" stroke="{}" stroke-width="{}"/>)",
      x + 1, y + 1, w - 2, h - 2, fill, differs(t) ? "#1f2430" : "#ffffff", differs(t) ? 1.6 : 1);
  std::string mark = glyph;
  if (t.status == DiffStatus::only_in_a) mark = "A";
  if (t.status == DiffStatus::only_in_b) mark = "B";
  if (!mark.empty())
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" fill="{}">{}</text>)", x + w / 2,
                     y + h / 2 + 4, ink(fill), esc(mark));
  std::string tip = t.name + ": " + std::string(diff_status_name(t.status));
  if (t.max_abs && t.max_abs->value > 0) tip += ", max |a-b| " + num(t.max_abs->value);
  if (t.diagnosis) tip += ", " + std::string(t.diagnosis->name());
  s += "<title>" + esc(tip) + "</title></g>";
  return s;
}

std::string heatmap(const std::vector<Cell>& cells, const std::set<std::string>& detailed) {
  std::vector<std::string> names;
  for (const auto& c : cells) names.push_back(c.t->name);
  const std::vector<std::string> kinds = kind_order(names);
  std::map<int64_t, std::map<std::string, const Cell*>> grid;
  std::vector<const Cell*> others;
  int64_t layers = 0;
  for (const auto& c : cells) {
    const LayerName l = split_layer_name(c.t->name);
    if (l.layer >= 0 && l.layer < 100000) {
      grid[l.layer][l.kind] = &c;
      layers = std::max(layers, l.layer + 1);
    } else {
      others.push_back(&c);
    }
  }
  const double cw = 56, ch = layers > 48 ? 13 : 20, label_w = 62, strip_w = 112, strip_h = 22;
  const size_t per_strip_row =
      std::max<size_t>(1, size_t((label_w + cw * std::max<size_t>(kinds.size(), 4)) / strip_w));
  const size_t strip_rows = others.empty() ? 0 : (others.size() + per_strip_row - 1) / per_strip_row;
  const double strip_top = 16, grid_top = strip_top + strip_rows * (strip_h + 16) + (strip_rows ? 22 : 0);
  const double width =
      std::max(label_w + cw * double(kinds.size()), double(std::min(others.size(), per_strip_row)) * strip_w) + 4;
  const double height = grid_top + 18 + ch * double(layers) + 4;
  std::string s = fmt::format(
      R"(<svg class="heatmap" width="{:.0f}" height="{:.0f}" role="img" aria-label="tensor heatmap">)", width, height);
  // The model's tensors that are not in a layer, a strip above the grid.
  for (size_t i = 0; i < others.size(); ++i) {
    const double x = double(i % per_strip_row) * strip_w, y = strip_top + double(i / per_strip_row) * (strip_h + 16);
    std::string label = split_layer_name(others[i]->t->name).kind;
    if (label.size() > 18) label = label.substr(0, 17) + "…";
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" class="tick">{}</text>)", x + 2, y - 3, esc(label));
    s += cell_svg(*others[i], x, y, strip_w - 6, strip_h);
  }
  if (layers > 0) {
    for (size_t k = 0; k < kinds.size(); ++k)
      s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" class="axis">{}</text>)",
                       label_w + cw * (double(k) + 0.5), grid_top + 12, esc(short_kind(kinds[k])));
    const int64_t label_step = layers > 48 ? 4 : layers > 24 ? 2 : 1;
    for (int64_t l = 0; l < layers; ++l) {
      const double y = grid_top + 18 + ch * double(l);
      if (l % label_step == 0 || l == layers - 1)
        s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end" class="tick">layer {}</text>)", label_w - 6,
                         y + ch / 2 + 3.5, l);
      for (size_t k = 0; k < kinds.size(); ++k) {
        auto row = grid.find(l);
        const Cell* c = nullptr;
        if (row != grid.end())
          if (auto it = row->second.find(kinds[k]); it != row->second.end()) c = it->second;
        if (c)
          s += cell_svg(*c, label_w + cw * double(k), y, cw, ch);
        else
          s += fmt::format(
              R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="none" stroke="#e3e6ea" stroke-dasharray="2 2"/>)",
              label_w + cw * double(k) + 1, y + 1, cw - 2, ch - 2);
      }
    }
  }
  s += "</svg>";
  (void)detailed;
  return s;
}

std::string legends(const std::vector<Cell>& cells) {
  std::string s;
  for (int m = 0; m < kMetrics; ++m)
    s += fmt::format(R"(<div data-legend="{}"{}>{}</div>)", kScales[m].id, m ? R"( style="display:none")" : "",
                     log_legend_svg(kScales[m].lo, kScales[m].hi, 420, kScales[m].label));
  s += R"(<div class="legend-row">)";
  s += fmt::format(R"(<span><span class="sw" style="background:{}"></span>bit-identical</span>)", kEqualColor);
  s +=
      R"(<span><span class="sw" style="background:#fed976;border:2px solid #1f2430"></span>outlined: differs beyond the rule</span>)";
  s += R"(<span><span class="sw" style="background:#fed976"></span>not outlined: equal within the rule</span>)";
  s += R"(<span><span class="sw hatch"></span>in one file only (A or B)</span>)";
  s += fmt::format(R"(<span><span class="sw" style="background:{}"></span>shapes differ</span>)", kShapeColor);
  s += fmt::format(R"(<span><span class="sw" style="background:{}"></span>nothing compared (missing)</span>)",
                   kMissingColor);
  s += "</div>";
  std::map<std::string, std::string> glyphs;
  for (const auto& c : cells)
    if (c.t->diagnosis)
      glyphs[diagnosis_glyph(std::string(c.t->diagnosis->name()))] = std::string(c.t->diagnosis->name());
  if (!glyphs.empty()) {
    s += R"(<div class="glyphs">marks: )";
    for (const auto& [g, k] : glyphs) s += fmt::format("<b>{}</b> {} &nbsp; ", esc(g), esc(k));
    s += "</div>";
  }
  return s;
}

// ---- one tensor in detail ------------------------------------------------------------

// The log10 range of the positive values, at most `span` decades below the largest.
std::pair<double, double> log_range(const std::vector<double>& v, double span) {
  double lo = INFINITY, hi = -INFINITY;
  for (double x : v)
    if (x > 0 && std::isfinite(x)) lo = std::min(lo, std::log10(x)), hi = std::max(hi, std::log10(x));
  if (!(hi >= lo)) return {-8, 0};
  hi = std::ceil(hi + 1e-9);
  lo = std::max(std::floor(lo), hi - span);
  if (hi - lo < 2) lo = hi - 2;
  return {lo, hi};
}

std::string profile(const ErrorShape::Profile& p, uint64_t total, const std::string& what, double lo, double hi) {
  BarSeries b;
  b.values = p.rms;
  for (uint64_t c : p.count) b.present.push_back(c > 0);
  b.lo = lo;
  b.hi = hi;
  b.per = p.bucket;
  b.total = total;
  b.x_label = p.bucket > 1 ? fmt::format("{} ({} per bar)", what, p.bucket) : what;
  return bar_profile_svg(b, 570, 150);
}

std::string map_figure(const ErrorShape& e, double lo, double hi) {
  std::vector<Rgb> px;
  for (size_t i = 0; i < e.map_rms.size(); ++i) {
    if (!e.map_count[i])
      px.push_back(Rgb::from_hex(kMissingColor));
    else if (!(e.map_rms[i] > 0))
      px.push_back(Rgb::from_hex(kEqualColor));
    else
      px.push_back(heat(log_position(e.map_rms[i], lo, hi)));
  }
  // Drawn with the matrix's proportions (within 1:4), its longer side 200 px.
  const double aspect = std::clamp(double(e.cols) / double(e.rows), 0.25, 4.0);
  const int w = int(aspect >= 1 ? 200 : 200 * aspect), h = int(aspect >= 1 ? 200 / aspect : 200);
  return fmt::format(
      R"(<figure>{}<figcaption>rms error by region: {} x {} cells of {} x {} elements (colours as the profiles; green: equal, grey: not compared)</figcaption></figure>)",
      pixel_image(e.map_rows, e.map_cols, px, w, h, "rms error by region"), e.map_rows, e.map_cols, e.map_row_bucket,
      e.map_col_bucket);
}

std::string corner_figures(const ErrorShape& e) {
  if (!e.corner_rows || !e.corner_cols) return "";
  double scale = 0, dmax = 0;
  for (size_t i = 0; i < e.corner_a.size(); ++i) {
    const double a = std::fabs(double(e.corner_a[i])), b = std::fabs(double(e.corner_b[i]));
    if (std::isfinite(a)) scale = std::max(scale, a);
    if (std::isfinite(b)) scale = std::max(scale, b);
    const double d = std::fabs(double(e.corner_a[i]) - double(e.corner_b[i]));
    if (std::isfinite(d)) dmax = std::max(dmax, d);
  }
  if (!(scale > 0)) scale = 1;
  const int cell = int(std::clamp<uint64_t>(192 / std::max(e.corner_rows, e.corner_cols), 4, 16));
  const int cw = int(e.corner_cols) * cell, chh = int(e.corner_rows) * cell;
  auto side = [&](const std::vector<float>& v, const char* who) {
    std::vector<Rgb> px;
    for (float x : v) px.push_back(std::isfinite(x) ? diverging(double(x) / scale) : Rgb{0, 0, 0});
    return pixel_image(e.corner_rows, e.corner_cols, px, cw, chh, who);
  };
  std::vector<Rgb> px;
  for (size_t i = 0; i < e.corner_a.size(); ++i) {
    const double d = std::fabs(double(e.corner_a[i]) - double(e.corner_b[i]));
    px.push_back(d == 0 ? Rgb::from_hex(kEqualColor) : std::isfinite(d) ? heat(0.15 + 0.85 * d / dmax) : Rgb{0, 0, 0});
  }
  std::string s = R"(<div class="row">)";
  s += fmt::format(R"(<figure class="px-fig">{}<figcaption>A</figcaption></figure>)", side(e.corner_a, "A"));
  s += fmt::format(R"(<figure class="px-fig">{}<figcaption>B</figcaption></figure>)", side(e.corner_b, "B"));
  s += fmt::format(R"(<figure class="px-fig">{}<figcaption>|A − B|</figcaption></figure>)",
                   pixel_image(e.corner_rows, e.corner_cols, px, cw, chh, "|A - B|"));
  s += "</div>";
  s += fmt::format(
      R"(<p class="note">The top-left corner, rows 0..{} and columns 0..{}, of each side: blue negative, red positive (up to ±{}); |A − B| green where equal, darkest {}. A transposed matrix shows A mirrored in B.</p>)",
      e.corner_rows - 1, e.corner_cols - 1, num(scale), num(dmax));
  return s;
}

std::string tensor_section(const TensorDiff& t) {
  std::string s = fmt::format(R"(<div class="tensor" id="t-{}"><h3>{} {})", esc(t.name), esc(t.name), status_badge(t));
  if (t.diagnosis) s += fmt::format(R"( <span class="badge b-diag">{}</span>)", esc(std::string(t.diagnosis->name())));
  s += "</h3>";
  s += facts_table(t);
  if (t.error_shape) {
    const ErrorShape& e = *t.error_shape;
    std::vector<double> all = e.by_row.rms;
    all.insert(all.end(), e.by_col.rms.begin(), e.by_col.rms.end());
    all.insert(all.end(), e.map_rms.begin(), e.map_rms.end());
    const auto [lo, hi] = log_range(all, 8);
    s += R"(<div class="row">)";
    s += fmt::format(
        R"(<figure>{}<figcaption>|a − b| of the {} compared pairs (log scales; "=0": exactly equal)</figcaption></figure>)",
        log_histogram_svg(e.abs_error, 420, 170, "|a − b|"), count_text(e.compared));
    s += map_figure(e, lo, hi);
    s += "</div>";
    s += R"(<div class="row">)";
    if (e.rows > 1)
      s += fmt::format(
          R"(<figure>{}<figcaption>rms error per row{} (hatched: not compared; green: equal)</figcaption></figure>)",
          profile(e.by_row, e.rows, "row", lo, hi), e.by_row.bucket > 1 ? " bucket" : "");
    s += fmt::format(R"(<figure>{}<figcaption>rms error per {}{}</figcaption></figure>)",
                     profile(e.by_col, e.cols, e.rows > 1 ? "column" : "element", lo, hi),
                     e.rows > 1 ? "column" : "element", e.by_col.bucket > 1 ? " bucket" : "");
    s += "</div>";
    s += corner_figures(e);
  }
  if (!t.first_mismatches.empty()) {
    s +=
        R"(<details open><summary>first mismatches</summary><table><tr><th>index</th><th class="num">A</th><th class="num">B</th><th class="num">|A − B|</th></tr>)";
    for (const auto& m : t.first_mismatches)
      s += fmt::format(
          R"(<tr><td class="mono">{}</td><td class="num mono">{}</td><td class="num mono">{}</td><td class="num mono">{}</td></tr>)",
          index_str(m.index), num(m.a, 7), num(m.b, 7), num(std::fabs(double(m.a) - double(m.b)), 4));
    s += "</table></details>";
  }
  return s + "</div>";
}

// Lower is worse: shapes, missing tensors, then values that differ, then tensors equal
// within the rule with the largest errors.
std::vector<const TensorDiff*> worst(const DiffReport& r, uint64_t n) {
  std::vector<const TensorDiff*> v;
  for (const auto& t : r.tensors)
    if (differs(t) || (t.error_shape && t.max_abs && t.max_abs->value > 0)) v.push_back(&t);
  auto rank = [](const TensorDiff* t) {
    switch (t->status) {
      case DiffStatus::shape_mismatch:
        return 0;
      case DiffStatus::only_in_a:
      case DiffStatus::only_in_b:
        return 1;
      case DiffStatus::differs:
        return 2;
      default:
        return 3;
    }
  };
  std::stable_sort(v.begin(), v.end(), [&](const TensorDiff* x, const TensorDiff* y) {
    if (rank(x) != rank(y)) return rank(x) < rank(y);
    if (x->percent() != y->percent()) return x->percent() > y->percent();
    return (x->max_abs ? x->max_abs->value : 0) > (y->max_abs ? y->max_abs->value : 0);
  });
  if (v.size() > n) v.resize(size_t(n));
  return v;
}

std::string config_table(const DiffReport& r) {
  if (!r.config_a && !r.config_b) return "";
  std::set<std::string> differ;
  for (const auto& c : r.config) differ.insert(c.field);
  auto field = [](const std::optional<ModelConfig>& c, const std::string& f) -> std::string {
    if (!c) return "-";
    if (f == "dim") return std::to_string(c->dim);
    if (f == "hidden_dim") return std::to_string(c->hidden_dim);
    if (f == "n_layers") return std::to_string(c->n_layers);
    if (f == "n_heads") return std::to_string(c->n_heads);
    if (f == "n_kv_heads") return std::to_string(c->n_kv_heads);
    if (f == "vocab_size") return std::to_string(c->vocab_size);
    if (f == "seq_len") return std::to_string(c->seq_len);
    if (f == "shared_classifier") return c->shared_classifier ? "yes" : "no";
    if (f == "group_size") return c->group_size > 0 ? std::to_string(c->group_size) : "-";
    return "";
  };
  std::string s = R"(<table><tr><th>field</th><th class="num">A</th><th class="num">B</th></tr>)";
  for (const char* f : {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len",
                        "shared_classifier", "group_size"})
    s += fmt::format(R"(<tr{}><td>{}</td><td class="num mono">{}</td><td class="num mono">{}</td></tr>)",
                     differ.count(f) ? R"( class="hl")" : "", f, field(r.config_a, f), field(r.config_b, f));
  for (const auto& c : r.config)  // fields of other families
    if (field(r.config_a, c.field).empty())
      s += fmt::format(R"(<tr class="hl"><td>{}</td><td class="num mono">{}</td><td class="num mono">{}</td></tr>)",
                       esc(c.field), c.a ? std::to_string(*c.a) : "-", c.b ? std::to_string(*c.b) : "-");
  return s + "</table>";
}

}  // namespace

const MetricScale& metric_scale(int i) { return kScales[std::clamp(i, 0, kMetrics - 1)]; }

std::string cell_fill(const TensorDiff& t, int metric) {
  if (t.status == DiffStatus::only_in_a || t.status == DiffStatus::only_in_b) return "url(#hatch)";
  if (t.status == DiffStatus::shape_mismatch) return std::string(kShapeColor);
  const auto v = metric_value(t, metric);
  if (!v) return std::string(kMissingColor);
  if (!(*v > 0)) return std::string(kEqualColor);
  const MetricScale& m = metric_scale(metric);
  return heat(log_position(*v, m.lo, m.hi)).hex();
}

std::string diagnosis_glyph(const std::string& kind) {
  static const std::map<std::string, std::string> g = {{"transposed", "T"},
                                                       {"rotary_permutation", "R"},
                                                       {"swapped", "S"},
                                                       {"layers_shifted", "L"},
                                                       {"scaled", "×"},
                                                       {"sign_flipped", "±"},
                                                       {"zero_filled", "0"},
                                                       {"truncated", "…"},
                                                       {"padded", "P"},
                                                       {"shared_classifier", "="},
                                                       {"untied_classifier", "U"},
                                                       {"tilized", "#"},
                                                       {"untilized", "#"},
                                                       {"reshaped_transposed", "T"},
                                                       {"rows_permuted", "O"},
                                                       {"columns_permuted", "O"},
                                                       {"permuted", "O"},
                                                       {"rounded", "≈"},
                                                       {"quantized", "Q"}};
  if (auto it = g.find(kind); it != g.end()) return it->second;
  return kind.empty() ? "" : std::string(1, char(std::toupper(static_cast<unsigned char>(kind[0]))));
}

std::string diff_html(const DiffReport& r, const DiffHtmlOptions& opt) {
  std::vector<Cell> cells;
  std::vector<std::string> layout_only;
  for (const auto& t : r.tensors) {
    if (t.layout_only)
      layout_only.push_back(t.name);
    else
      cells.push_back(Cell{&t, cells.size()});
  }
  const auto shown = worst(r, opt.tensors);
  std::set<std::string> detailed;
  for (const auto* t : shown) detailed.insert(t->name);

  std::string b = R"(<header class="top"><h1>ckpt diff</h1><div class="files">)";
  b += fmt::format("<div><b>A</b> {} <span>({})</span></div>", esc(r.path_a), esc(format_name(r.format_a)));
  b += fmt::format("<div><b>B</b> {} <span>({})</span></div>", esc(r.path_b), esc(format_name(r.format_b)));
  b += "</div></header><main>";
  b +=
      fmt::format(R"(<div class="verdict {}" id="summary">{}</div>)", r.equal() ? "good" : "bad", esc(diff_summary(r)));

  b += R"(<section class="card" id="heatmap-card"><h2>Tensors</h2>)";
  b +=
      R"(<p class="sub">One cell per compared tensor: a row per layer, a column per kind; the model's other tensors above. Colour: the metric below on a log scale. Hover a cell for its numbers, click to keep them.</p>)";
  b += R"(<div class="metric-switch">)";
  for (int m = 0; m < kMetrics; ++m)
    b += fmt::format(R"(<button type="button" data-metric="{}"{}>{}</button>)", kScales[m].id,
                     m ? "" : R"( class="on")", kScales[m].label);
  b += "</div>";
  b += R"(<div class="heat-wrap"><div class="heat-main">)" + heatmap(cells, detailed) + legends(cells) + "</div>";
  b +=
      R"(<aside id="cell-info"><p class="note">Hover over a cell to see its numbers; click to keep them.</p></aside></div>)";
  b += R"(<div hidden>)";
  for (const auto& c : cells) {
    b += fmt::format(R"(<div id="detail-{}"><h3>{}</h3><p>{}</p>{})", c.id, esc(c.t->name), status_badge(*c.t),
                     facts_table(*c.t));
    if (detailed.count(c.t->name)) b += fmt::format(R"(<p><a href="#t-{}">details below</a></p>)", esc(c.t->name));
    b += "</div>";
  }
  b += "</div>";
  if (!layout_only.empty()) {
    std::string names;
    for (const auto& n : layout_only) names += (names.empty() ? "" : ", ") + n;
    b += fmt::format(R"(<p class="note">Not compared (stored by one layout only): {}</p>)", esc(names));
  }
  for (const auto& n : r.notes) b += fmt::format(R"(<p class="note">Note: {}</p>)", esc(n));
  b += "</section>";

  b += R"(<section class="card" id="config"><h2>Config</h2>)";
  b += r.config.empty() ? R"(<p class="sub">The configs agree.</p>)"
                        : fmt::format(R"(<p class="sub">{} field{} differ (highlighted).</p>)", r.config.size(),
                                      r.config.size() == 1 ? "" : "s");
  b += config_table(r) + "</section>";

  b += R"(<section class="card" id="details"><h2>The worst tensors in detail</h2>)";
  if (shown.empty()) {
    b += R"(<p class="sub">Every compared tensor is bit-identical.</p>)";
  } else {
    b += fmt::format(
        R"(<p class="sub">{} tensor{} (--html-tensors): where the errors are. A transposed matrix shows its mirror image in the corners; a permutation of rows, a truncation or stripes show in the profiles.</p>)",
        shown.size(), shown.size() == 1 ? "" : "s");
    for (const auto* t : shown) b += tensor_section(*t);
  }
  b += "</section></main>";
  return page("ckpt diff: " + r.path_a + " vs " + r.path_b, b);
}

}  // namespace ckpt::cli::html
