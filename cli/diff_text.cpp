#include "diff_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ckpt::cli {

namespace {

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

std::string num(double v) { return fmt::format("{:.6g}", v); }

// Lower sorts first: shape mismatches, tensors missing from a file, then values that
// differ (the larger the share of mismatches, the earlier).
int severity(const TensorDiff& t) {
  switch (t.status) {
    case DiffStatus::shape_mismatch:
      return 0;
    case DiffStatus::only_in_a:
    case DiffStatus::only_in_b:
      return 1;
    case DiffStatus::differs:
      return 2;
    case DiffStatus::equal:
      return 3;
  }
  return 3;
}

void render_tensor(std::string& out, const TensorDiff& t) {
  out += fmt::format("  {:<15} {}\n", diff_status_name(t.status), t.name);
  if (!t.source_a.empty()) out += fmt::format("      A: {}\n", t.source_a);
  if (!t.source_b.empty()) out += fmt::format("      B: {}\n", t.source_b);
  if (t.status == DiffStatus::only_in_a || t.status == DiffStatus::only_in_b) {
    const bool a = t.status == DiffStatus::only_in_a;
    out += fmt::format("      only {} has it: {} {}\n", a ? "A" : "B", a ? t.dtype_a : t.dtype_b,
                       shape_str(a ? t.shape_a : t.shape_b));
  } else if (t.shape_a != t.shape_b) {
    out += fmt::format("      A {} {}, B {} {}\n", t.dtype_a, shape_str(t.shape_a), t.dtype_b, shape_str(t.shape_b));
  }
  if (t.compared || t.missing) {
    out += fmt::format("      mismatches {} of {} ({:.4g}%), rule {}", t.mismatches, t.compared, t.percent(), t.rule);
    if (t.missing) out += fmt::format(", {} elements missing", t.missing);
    out += "\n";
  }
  if (t.max_abs && t.mismatches)
    out += fmt::format("      max_abs {} at {} (A {}, B {}); max_rel {} at {}\n", num(t.max_abs->value),
                       index_str(t.max_abs->at.index), num(t.max_abs->at.a), num(t.max_abs->at.b),
                       num(t.max_rel->value), index_str(t.max_rel->at.index));
  if (t.compared && t.mismatches)
    out += fmt::format("      rmse {}, cosine {}\n", num(t.rmse), t.cosine ? fmt::format("{:.9f}", *t.cosine) : "n/a");
  if (t.diagnosis) out += fmt::format("      diagnosis: {}: {}\n", t.diagnosis->name(), t.diagnosis->detail);
  if (!t.first_mismatches.empty()) {
    out += "      first mismatches:\n";
    for (const auto& m : t.first_mismatches)
      out += fmt::format("        {:<16} A {:<14} B {}\n", index_str(m.index), num(m.a), num(m.b));
  }
}

std::string location_str(const Location& l) {
  switch (l.kind) {
    case RegionKind::header_field:
      return fmt::format("header field {}", l.field);
    case RegionKind::header_padding:
      return "header padding";
    case RegionKind::tensor_data:
    case RegionKind::tensor_scale:
      return fmt::format("{} {} element {}{}", l.tensor, l.part, index_str(l.index),
                         l.part == "f32" ? "" : fmt::format(" (group {})", l.group));
    case RegionKind::trailing:
      return "trailing bytes";
    case RegionKind::past_end:
      return "past the end of the file";
    default:  // unmapped, and kinds other readers add (a msgpack entry names its key)
      return l.field.empty() ? std::string(region_kind_name(l.kind))
                             : fmt::format("{} {}", region_kind_name(l.kind), l.field);
  }
}

// "X" when the range starts and ends in the same place, else "X .. Y".
std::string span_str(const Location& first, const Location& last, uint64_t length) {
  const std::string a = location_str(first), b = location_str(last);
  return length == 1 || a == b ? a : a + " .. " + b;
}

std::string bytes_text(const DiffReport& r) {
  const ByteDiff& b = *r.bytes;
  std::string out = fmt::format("A: {} ({}, {} bytes)\nB: {} ({}, {} bytes)\n", r.path_a, format_name(r.format_a),
                                b.size_a, r.path_b, format_name(r.format_b), b.size_b);
  for (const auto& x : b.first_ranges) {
    out += fmt::format("  bytes {}..{} ({} byte{})\n", x.offset, x.offset + x.length - 1, x.length,
                       x.length == 1 ? "" : "s");
    out += fmt::format("      A: {}\n      B: {}\n", span_str(x.a_first, x.a_last, x.length),
                       span_str(x.b_first, x.b_last, x.length));
  }
  if (b.ranges > b.first_ranges.size()) out += fmt::format("  ... {} more ranges\n", b.ranges - b.first_ranges.size());
  for (const auto& n : r.notes) out += fmt::format("  note: {}\n", n);
  return out + diff_summary(r) + "\n";
}

}  // namespace

std::string diff_summary(const DiffReport& r) {
  if (r.bytes) {
    const ByteDiff& b = *r.bytes;
    if (b.equal()) return fmt::format("equal: the files are identical ({} bytes)", b.size_a);
    std::string s = fmt::format("differs: {} of {} bytes differ in {} range{}", b.differing, b.compared, b.ranges,
                                b.ranges == 1 ? "" : "s");
    if (b.size_a != b.size_b) s += fmt::format(", sizes {} and {}", b.size_a, b.size_b);
    return s;
  }
  size_t n = 0, eq = 0, counts[5] = {0, 0, 0, 0, 0};
  for (const auto& t : r.tensors) {
    if (t.layout_only) continue;
    ++n;
    eq += t.status == DiffStatus::equal;
    ++counts[int(t.status)];
  }
  std::string cfg = r.config.empty() ? "config agrees"
                                     : fmt::format("{} config field{} differ{}", r.config.size(),
                                                   r.config.size() == 1 ? "" : "s", r.config.size() == 1 ? "s" : "");
  if (r.equal()) return fmt::format("equal: {} tensors equal, {}", n, cfg);
  std::string parts;
  const char* names[5] = {"equal", "differs", "only_in_a", "only_in_b", "shape_mismatch"};
  for (int s = 1; s < 5; ++s)
    if (counts[s]) parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", counts[s], names[s]);
  return fmt::format("differs: {} of {} tensors differ{}, {}", n - eq, n, parts.empty() ? "" : " (" + parts + ")", cfg);
}

std::string diff_text(const DiffReport& r) {
  if (r.bytes) return bytes_text(r);
  std::string out =
      fmt::format("A: {} ({})\nB: {} ({})\n", r.path_a, format_name(r.format_a), r.path_b, format_name(r.format_b));
  if (!r.config.empty()) {
    out += "config differences:\n";
    for (const auto& c : r.config)
      out += fmt::format("  {:<18} A {:<10} B {}\n", c.field, c.a ? std::to_string(*c.a) : "-",
                         c.b ? std::to_string(*c.b) : "-");
  }
  std::vector<const TensorDiff*> shown;
  for (const auto& t : r.tensors)
    if (t.is_difference()) shown.push_back(&t);
  std::stable_sort(shown.begin(), shown.end(), [](const TensorDiff* x, const TensorDiff* y) {
    if (severity(*x) != severity(*y)) return severity(*x) < severity(*y);
    return x->percent() > y->percent();
  });
  if (!shown.empty()) out += "differences (most serious first):\n";
  for (const auto* t : shown) render_tensor(out, *t);
  // Equal tensors: one line each only when something worth reading is attached (padding,
  // the quantization error of a Q8_0 comparison); otherwise just counted.
  const TensorDiff* worst = nullptr;
  for (const auto& t : r.tensors) {
    if (t.status != DiffStatus::equal) continue;
    if (t.diagnosis) out += fmt::format("  note: {}: {}\n", t.name, t.diagnosis->detail);
    if (t.rule != "exact" && t.max_abs && t.max_abs->value > 0 && (!worst || t.max_abs->value > worst->max_abs->value))
      worst = &t;
  }
  if (worst)
    out += fmt::format("  equal within tolerance; largest error {} in {} at {} (A {}, B {}), rule {}\n",
                       num(worst->max_abs->value), worst->name, index_str(worst->max_abs->at.index),
                       num(worst->max_abs->at.a), num(worst->max_abs->at.b), worst->rule);
  // A training checkpoint against an export leaves dozens of optimizer tensors out: name a
  // few, count the rest (--json lists them all).
  constexpr size_t kNamed = 8;
  std::string layout;
  size_t unnamed = 0, listed = 0;
  for (const auto& t : r.tensors) {
    if (!t.layout_only) continue;
    if (t.diagnosis)
      out += fmt::format("  note: {}: {}\n", t.name, t.diagnosis->detail);
    else if (listed++ < kNamed)
      layout += (layout.empty() ? "" : ", ") + t.name;
    else
      ++unnamed;
  }
  if (unnamed) layout += fmt::format(" and {} more", unnamed);
  if (!layout.empty()) out += fmt::format("  not compared (stored by one layout only): {}\n", layout);
  for (const auto& n : r.notes) out += fmt::format("  note: {}\n", n);
  return out + diff_summary(r) + "\n";
}

std::string diagnosis_label(const Diagnosis& d) {
  std::string s(d.name());
  const std::string side = d.side == "a" ? " (A)" : d.side == "b" ? " (B)" : "";
  switch (d.kind) {
    case DiagnosisKind::scaled:
      if (d.factor) s += fmt::format(" {:.7g}", *d.factor);
      break;
    case DiagnosisKind::rounded:
      s += " " + d.precision + side;
      break;
    case DiagnosisKind::quantized: {
      auto g = [](const std::optional<uint64_t>& x) { return x ? std::to_string(*x) : std::string("?"); };
      s += d.side == "both" ? fmt::format(" q8_0 g{}/g{}", g(d.group_a), g(d.group_b))
                            : fmt::format(" q8_0 g{}{}", g(d.side == "a" ? d.group_a : d.group_b), side);
      break;
    }
    case DiagnosisKind::tilized:
    case DiagnosisKind::untilized:
      if (d.tile != 32 || d.face != 16)  // not tt-metal's: the tile (and face) size
        s += d.face < d.tile ? fmt::format(" {}/{}", d.tile, d.face) : fmt::format(" {}", d.tile);
      if (d.of_transpose) s += " of transpose";
      break;
    case DiagnosisKind::reshaped_transposed:
      if (d.shape.size() == 2) s += fmt::format(" ({}, {})", d.shape[0], d.shape[1]);
      break;
    case DiagnosisKind::rotary_permutation:
      s += " " + d.direction;
      break;
    case DiagnosisKind::rows_permuted:
    case DiagnosisKind::columns_permuted:
    case DiagnosisKind::permuted:
      if (!d.pattern.empty()) s += " " + d.pattern;
      break;
    case DiagnosisKind::layers_shifted:
      if (d.shift) s += fmt::format(" {:+d}", *d.shift);
      break;
    case DiagnosisKind::swapped:
      s += " with " + d.other;
      break;
    default:
      break;
  }
  if (!d.precision.empty() && d.kind != DiagnosisKind::rounded && d.kind != DiagnosisKind::quantized)
    s += " + " + d.precision + side;  // a layout of rounded values
  return s;
}

std::string diff_table(const DiffReport& r) {
  size_t width = 6;
  for (const auto& t : r.tensors) width = std::max(width, t.name.size());
  auto row = [&](const std::string& name, std::string_view status, const std::string& max_abs, const std::string& rmse,
                 const std::string& cosine, const std::string& diagnosis) {
    return fmt::format("{:<{}}  {:<14}  {:>11}  {:>11}  {:>12}  {}\n", name, width, status, max_abs, rmse, cosine,
                       diagnosis);
  };
  std::string out = row("tensor", "status", "max_abs", "rmse", "cosine", "diagnosis");
  for (const auto& t : r.tensors) {
    const bool values = t.compared > 0;
    out += row(t.name, t.layout_only ? "layout_only" : diff_status_name(t.status),
               values && t.max_abs ? fmt::format("{:.4g}", t.max_abs->value) : "-",
               values ? fmt::format("{:.4g}", t.rmse) : "-", t.cosine ? fmt::format("{:.9f}", *t.cosine) : "-",
               t.diagnosis ? diagnosis_label(*t.diagnosis) : "-");
  }
  return out + diff_summary(r) + "\n";
}

}  // namespace ckpt::cli
