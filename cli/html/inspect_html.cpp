#include "inspect_html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "byte_map.hpp"
#include "inspect_text.hpp"
#include "layers.hpp"
#include "page.hpp"
#include "svg.hpp"

namespace ckpt::cli::html {

namespace {

std::string verdict(const Checkpoint& cp) {
  size_t errors = 0, warnings = 0;
  for (const auto& f : cp.findings)
    errors += f.severity == Severity::error, warnings += f.severity == Severity::warning;
  std::string what, cls = "good";
  if (!cp.format.known()) {
    what = "no known format fits: " + cp.detection;
    cls = "bad";
  } else if (cp.expected_size && cp.file_size < *cp.expected_size) {
    what = fmt::format("truncated: {} bytes of the {} the layout expects ({} missing)", count_text(cp.file_size),
                       count_text(*cp.expected_size), count_text(*cp.expected_size - cp.file_size));
    cls = "bad";
  } else if (cp.trailing_bytes) {
    what = fmt::format("{} bytes, {} of them trailing after the last tensor", count_text(cp.file_size),
                       count_text(cp.trailing_bytes));
  } else {
    what = fmt::format("{} bytes{}", count_text(cp.file_size), cp.expected_size ? ", as the layout expects" : "");
  }
  if (errors) cls = "bad";
  what += fmt::format("; {} error{}, {} warning{}", errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
  return fmt::format(R"(<div class="verdict {}" id="summary">{}</div>)", cls, esc(what));
}

std::string byte_map_card(const Checkpoint& cp) {
  const auto regions = byte_regions(cp);
  std::map<ByteKind, uint64_t> bytes;
  for (const auto& r : regions) bytes[r.kind] += r.length;
  std::string s = R"(<section class="card" id="bytemap"><h2>Byte map</h2>)";
  s +=
      R"(<p class="sub">The file drawn to scale, left to right and top to bottom; every region at least 1 px wide. Hover a region for its bytes.</p>)";
  s += byte_map_svg(cp, regions, 1180, cp.file_size < 4096 ? 2 : 6);
  s += R"(<div class="legend-row">)";
  const std::pair<ByteKind, const char*> kinds[] = {
      {ByteKind::header, "background:#4e79a7"},
      {ByteKind::tensor, "background:linear-gradient(90deg,#59a14f 50%,#76b7b2 50%)"},
      {ByteKind::scales, "background:#f28e2b"},
      {ByteKind::metadata, "background:#b07aa1"},
      {ByteKind::gap, "background:#d7dbe0"},
      {ByteKind::trailing, "background:#e15759"},
      {ByteKind::missing, "background:repeating-linear-gradient(45deg,#e57373 0 3px,#fff5f5 3px 6px)"}};
  for (const auto& [k, style] : kinds)
    if (bytes.count(k))
      s += fmt::format(R"(<span><span class="sw" style="{}"></span>{} ({})</span>)", style, byte_kind_name(k),
                       bytes_text(bytes[k]));
  s += "</div>";
  size_t other = 0;
  for (const auto& t : cp.tensors) other += t.place.source != 0;
  if (other)
    s += fmt::format(R"(<p class="note">{} tensor{} live in other files of this checkpoint and are not drawn.</p>)",
                     other, other == 1 ? "" : "s");
  return s + "</section>";
}

std::string findings_card(const Checkpoint& cp) {
  std::string s = fmt::format(R"(<section class="card" id="findings"><h2>Findings ({})</h2>)", cp.findings.size());
  if (cp.findings.empty()) return s + R"(<p class="sub">None: the file reads as its layout says.</p></section>)";
  s += R"(<table><tr><th>severity</th><th>rule</th><th>message</th><th class="num">byte</th></tr>)";
  for (const auto& f : cp.findings)
    s += fmt::format(
        R"(<tr><td><span class="badge b-{0}">{0}</span></td><td class="mono">{1}</td><td>{2}</td><td class="num mono">{3}</td></tr>)",
        severity_name(f.severity), esc(f.rule), esc(f.message), f.offset ? count_text(*f.offset) : "");
  return s + "</table></section>";
}

std::string config_card(const InspectReport& r) {
  const Checkpoint& cp = r.cp;
  std::string s = R"(<section class="card" id="config"><h2>Header and config</h2><div class="row">)";
  if (!cp.header.empty()) {
    s +=
        R"(<table><tr><th class="num">offset</th><th class="num">size</th><th>field</th><th class="num">value</th></tr>)";
    for (const auto& h : cp.header)
      s += fmt::format(
          R"(<tr><td class="num mono">{}</td><td class="num mono">{}</td><td class="mono">{}</td><td class="num mono">{}</td></tr>)",
          h.offset, h.size, esc(h.name), h.value);
    s += "</table>";
  }
  if (cp.config) {
    const auto& c = *cp.config;
    s += "<table>";
    auto row = [&](const char* k, const std::string& v) {
      s += fmt::format(R"(<tr><td>{}</td><td class="num mono">{}</td></tr>)", k, v);
    };
    row("dim", std::to_string(c.dim));
    row("hidden_dim", std::to_string(c.hidden_dim));
    row("n_layers", std::to_string(c.n_layers));
    row("n_heads / n_kv_heads", fmt::format("{} / {}", c.n_heads, c.n_kv_heads));
    row("vocab_size", std::to_string(c.vocab_size));
    row("seq_len", std::to_string(c.seq_len));
    row("head_size / kv_dim", fmt::format("{} / {}", c.head_size(), c.kv_dim()));
    row("shared classifier", c.shared_classifier ? "yes" : "no");
    row("Q8_0 group size", c.group_size > 0 ? std::to_string(c.group_size) : "-");
    row("parameters", count_text(r.parameters));
    s += "</table>";
  }
  s += "</div>";
  s += fmt::format(R"(<p class="note">{} · {}</p>)", esc(format_name(cp.format)), esc(cp.detection));
  return s + "</section>";
}

// Values too odd to leave to the eye: NaN, Inf, a tensor of zeros or of one value.
std::string stat_flags(const TensorStats& s, const TensorInfo& t) {
  std::string f;
  if (s.nan) f += fmt::format(R"(<span class="badge b-error">{} NaN</span> )", count_text(s.nan));
  if (s.inf) f += fmt::format(R"(<span class="badge b-error">{} Inf</span> )", count_text(s.inf));
  if (s.count && s.zeros == s.count)
    f += R"(<span class="badge b-error">all zeros</span> )";
  else if (s.finite > 1 && s.std == 0)
    f += R"(<span class="badge b-warning">constant</span> )";
  if (s.partial)
    f += fmt::format(R"(<span class="badge b-warning">partial: {} of {} values</span> )", count_text(s.count),
                     count_text(t.spec.numel));
  return f;
}

std::string histograms_card(const InspectReport& r) {
  std::string s = R"(<section class="card" id="histograms"><h2>Values</h2>)";
  s +=
      R"(<p class="sub">Each tensor's values from its minimum to its maximum (counts on a log scale, so a handful of outliers still shows; the dashed line is 0). A dead tensor is one bar; a clipped range piles up at its edges.</p><div class="smalls">)";
  for (size_t i = 0; i < r.cp.tensors.size(); ++i) {
    const TensorInfo& t = r.cp.tensors[i];
    const auto& st = r.stats[i];
    if (!st) {
      s += fmt::format(
          R"(<div class="small flag" data-tensor="{0}"><div class="name" title="{0}">{0}</div><div class="meta">could not be read</div></div>)",
          esc(t.spec.name));
      continue;
    }
    const std::string flags = stat_flags(*st, t);
    s += fmt::format(R"(<div class="small{}" data-tensor="{}"><div class="name" title="{}">{}</div>)",
                     flags.empty() ? "" : " flag", esc(t.spec.name), esc(t.spec.name), esc(t.spec.name));
    s += fmt::format(R"(<div class="meta">{} {} · std {} · absmax {}</div>)", dtype_name(t.spec.dtype),
                     shape_text(t.spec.shape), num(st->std), num(st->absmax));
    if (st->histogram) s += value_histogram_svg(*st->histogram, st->min, st->max, 232, 56, 48);
    if (!flags.empty()) s += "<div>" + flags + "</div>";
    s += "</div>";
  }
  return s + "</div></section>";
}

std::string layers_card(const InspectReport& r) {
  std::vector<std::string> names;
  for (const auto& t : r.cp.tensors) names.push_back(t.spec.name);
  const auto kinds = kind_order(names);
  int64_t layers = 0;
  for (const auto& n : names) layers = std::max(layers, split_layer_name(n).layer + 1);
  if (kinds.empty() || layers < 1 || layers > 100000) return "";
  std::vector<Line> stds, maxes;
  for (const auto& k : kinds) {
    stds.push_back(Line{k, std::vector<double>(size_t(layers), NAN)});
    maxes.push_back(Line{k, std::vector<double>(size_t(layers), NAN)});
  }
  for (size_t i = 0; i < r.cp.tensors.size(); ++i) {
    const LayerName l = split_layer_name(r.cp.tensors[i].spec.name);
    if (l.layer < 0 || !r.stats[i]) continue;
    const size_t k = size_t(std::find(kinds.begin(), kinds.end(), l.kind) - kinds.begin());
    stds[k].y[size_t(l.layer)] = r.stats[i]->std;
    maxes[k].y[size_t(l.layer)] = r.stats[i]->absmax;
  }
  std::string s = R"(<section class="card" id="layers"><h2>Per layer</h2>)";
  s +=
      R"(<p class="sub">Standard deviation and largest magnitude of each tensor kind, layer by layer (log scale). A dead layer drops to a hollow marker on the axis; a layer that was never trained or scaled twice stands out of its line.</p><div class="row">)";
  s += fmt::format("<figure>{}<figcaption>std</figcaption></figure>", line_chart_svg(stds, 580, 260, "layer", "std"));
  s += fmt::format("<figure>{}<figcaption>absmax</figcaption></figure>",
                   line_chart_svg(maxes, 580, 260, "layer", "absmax"));
  return s + "</div></section>";
}

// Q8_0 scales: all of them in one histogram, and each tensor's range, where one group's
// outlier scale stands far above its tensor's others.
std::string scales_card(const InspectReport& r) {
  std::map<std::pair<double, double>, uint64_t> merged;
  std::vector<size_t> q8;
  for (size_t i = 0; i < r.cp.tensors.size(); ++i) {
    const auto& st = r.stats[i];
    if (!st || !st->scale_histogram || !st->scale_min) continue;
    q8.push_back(i);
    for (const auto& b : st->scale_histogram->bins) merged[{b.lo, b.hi}] += b.count;
  }
  if (q8.empty()) return "";
  Histogram all;
  for (const auto& [range, count] : merged) all.bins.push_back({range.first, range.second, count});
  // Each tensor's scale range as a vertical bar on a log axis.
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i : q8) {
    const auto& st = *r.stats[i];
    if (*st.scale_min > 0) lo = std::min(lo, std::log10(double(*st.scale_min)));
    if (*st.scale_max > 0) hi = std::max(hi, std::log10(double(*st.scale_max)));
  }
  if (!(hi >= lo)) lo = -6, hi = 0;
  lo = std::floor(lo);
  hi = std::ceil(hi);
  if (hi - lo < 1) hi = lo + 1;
  const int w = 560, h = 220, left = 44, top = 8, plot_w = w - left - 10, plot_h = h - top - 30;
  std::string c = fmt::format(R"(<svg class="scales" width="{}" height="{}" role="img">)", w, h);
  c += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" class="plotbg"/>)", left, top, plot_w, plot_h);
  auto ypos = [&](double v) { return top + plot_h * (1 - (std::log10(std::max(v, 1e-45)) - lo) / (hi - lo)); };
  for (int e = int(lo); e <= int(hi); ++e) {
    const double y = top + plot_h * (1 - (e - lo) / (hi - lo));
    c += fmt::format(
        R"(<line x1="{0}" x2="{1}" y1="{2:.1f}" y2="{2:.1f}" class="grid"/><text x="{3}" y="{4:.1f}" text-anchor="end" class="tick">1e{5}</text>)",
        left, left + plot_w, y, left - 3, y + 3, e);
  }
  const double step = double(plot_w) / double(q8.size());
  for (size_t k = 0; k < q8.size(); ++k) {
    const auto& st = *r.stats[q8[k]];
    const double x = left + step * (double(k) + 0.5), y1 = ypos(*st.scale_min), y2 = ypos(*st.scale_max);
    c += fmt::format(
        R"(<g><line x1="{0:.1f}" x2="{0:.1f}" y1="{1:.1f}" y2="{2:.1f}" stroke="#f28e2b" stroke-width="{3:.1f}"/><circle cx="{0:.1f}" cy="{2:.1f}" r="2.5" fill="#b3501b"/><title>{4}: scales {5} .. {6}</title></g>)",
        x, y1, y2, std::clamp(step * 0.6, 1.0, 6.0), esc(r.cp.tensors[q8[k]].spec.name), num(*st.scale_min),
        num(*st.scale_max));
  }
  c += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="axis">Q8_0 tensors in file order</text></svg>)",
                   left + plot_w / 2, h - 6);
  std::string s = R"(<section class="card" id="scales"><h2>Q8_0 scales</h2>)";
  s +=
      R"(<p class="sub">A group's scale is its largest magnitude / 127: one outlier weight makes its group's scale, and the quantization step of its 31 neighbours, large.</p><div class="row">)";
  s += fmt::format("<figure>{}<figcaption>every group's scale, all tensors</figcaption></figure>",
                   log_histogram_svg(all, 560, 220, "scale"));
  s += fmt::format(
      "<figure>{}<figcaption>each tensor's smallest to largest scale (dot: the largest)</figcaption></figure>", c);
  return s + "</div></section>";
}

std::string tensor_table(const InspectReport& r) {
  const bool stats = !r.stats.empty();
  std::string s = fmt::format(
      R"(<section class="card" id="tensors"><h2>Tensors ({})</h2><details{}><summary>the tensor table</summary>)",
      r.cp.tensors.size(), r.cp.tensors.size() <= 40 ? " open" : "");
  s +=
      R"(<table><tr><th>name</th><th>dtype</th><th>shape</th><th class="num">offset</th><th class="num">bytes</th><th>status</th>)";
  if (stats)
    s +=
        R"(<th class="num">min</th><th class="num">max</th><th class="num">mean</th><th class="num">std</th><th class="num">zeros</th>)";
  s += "</tr>";
  for (size_t i = 0; i < r.cp.tensors.size(); ++i) {
    const TensorInfo& t = r.cp.tensors[i];
    const bool bad = t.status != TensorStatus::complete;
    s += fmt::format(
        R"(<tr{}><td class="mono">{}</td><td>{}</td><td class="mono">{}</td><td class="num mono">{}</td><td class="num mono">{}</td><td>{}</td>)",
        bad ? R"( class="hl")" : "", esc(t.spec.name), dtype_name(t.spec.dtype), shape_text(t.spec.shape),
        count_text(t.place.offset), count_text(t.place.nbytes + t.place.scale_nbytes), tensor_status_name(t.status));
    if (stats) {
      const auto& st = r.stats[i];
      if (st && st->finite)
        s += fmt::format(
            R"(<td class="num mono">{}</td><td class="num mono">{}</td><td class="num mono">{}</td><td class="num mono">{}</td><td class="num mono">{}</td>)",
            num(st->min, 4), num(st->max, 4), num(st->mean, 4), num(st->std, 4), count_text(st->zeros));
      else
        s += R"(<td colspan="5" class="note">no values</td>)";
    }
    s += "</tr>";
  }
  return s + "</table></details></section>";
}

}  // namespace

std::string inspect_html(const InspectReport& r) {
  const Checkpoint& cp = r.cp;
  std::string b = R"(<header class="top"><h1>ckpt inspect</h1><div class="files">)";
  b += fmt::format("<div><b>file</b> {} <span>({})</span></div></div></header><main>", esc(cp.path),
                   esc(format_name(cp.format)));
  b += verdict(cp);
  b += byte_map_card(cp);
  b += findings_card(cp);
  b += config_card(r);
  bool histograms = false;
  for (const auto& st : r.stats) histograms |= st && st->histogram;
  if (r.stats.empty()) {
    b +=
        R"(<section class="card"><p class="sub">Run with --stats for the histograms of the values, the per-layer statistics and the Q8_0 scales.</p></section>)";
  } else {
    b += layers_card(r);
    if (histograms) b += histograms_card(r);
    b += scales_card(r);
  }
  b += tensor_table(r);
  b += "</main>";
  return page("ckpt inspect: " + cp.path, b);
}

}  // namespace ckpt::cli::html
