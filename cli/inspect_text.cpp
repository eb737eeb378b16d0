#include "inspect_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "ckpt/views.hpp"
#include "families/family_render.hpp"
#include "html/sparkline.hpp"

namespace ckpt::cli {

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

namespace {

std::string index_text(const std::vector<uint64_t>& idx) {
  std::string s = "[";
  for (size_t i = 0; i < idx.size(); ++i) s += (i ? ", " : "") + std::to_string(idx[i]);
  return s + "]";
}

std::string g(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : fmt::format("{}", v); }

}  // namespace

std::string location_text(const Location& l, const std::optional<double>& value) {
  std::string s = fmt::format("{}byte {} (0x{:x}): ", l.file.empty() ? "" : l.file + " ", l.offset, l.offset);
  switch (l.kind) {
    case RegionKind::header_field:
      s += fmt::format("header field {} (bytes {}..{}), byte {} of it", l.field, l.region_start,
                       l.region_start + l.region_length - 1, l.offset - l.region_start);
      break;
    case RegionKind::header_padding:
      s += "header padding (zeros expected)";
      break;
    case RegionKind::tensor_data:
    case RegionKind::tensor_scale:
      if (l.part == "scale")
        s += fmt::format("{} scale of group {} (elements {}..{}, first at {}), byte {} of the fp32 scale", l.tensor,
                         l.group, l.element, l.element + 0, index_text(l.index), l.byte_in_element);
      else
        s += fmt::format("{} element {} {} ({}{}), byte {} of it", l.tensor, l.element, index_text(l.index), l.part,
                         l.part == "int8" ? fmt::format(", group {}", l.group) : "", l.byte_in_element);
      if (!l.field.empty()) s += fmt::format(", in {}", l.field);
      for (const auto& [name, element] : l.shared_with) s += fmt::format("; also {} element {}", name, element);
      break;
    case RegionKind::trailing:
      s += fmt::format("trailing bytes after the last tensor (they start at byte {})", l.region_start);
      break;
    case RegionKind::past_end:
      s += "past the end of the file";
      break;
    case RegionKind::unmapped:
      s += "not mapped by the layout";
      break;
    case RegionKind::container:
      s += fmt::format("{}: {} (bytes {}..{}), byte {} of it", l.field, l.part, l.region_start,
                       l.region_start + l.region_length - 1, l.byte_in_element);
      break;
    case RegionKind::msgpack_entry:
      s += fmt::format("key {}: {} (bytes {}..{}), byte {} of it", l.field, l.part, l.region_start,
                       l.region_start + l.region_length - 1, l.byte_in_element);
      break;
  }
  if (l.beyond_file && l.kind != RegionKind::past_end) s += " [beyond the end of the file]";
  if (value) s += fmt::format("; value {}", g(*value));
  return s;
}

std::string inspect_text(const InspectReport& r) {
  const Checkpoint& cp = r.cp;
  std::string out;
  auto line = [&](std::string s) { out += s + "\n"; };
  line(fmt::format("file        {}", cp.path));
  line(fmt::format("format      {}", format_name(cp.format)));
  line(fmt::format("detected    {}", cp.detection));
  line(fmt::format("size        {} bytes{}", cp.file_size,
                   cp.expected_size ? fmt::format(" (layout expects {}{})", *cp.expected_size,
                                                  cp.file_size == *cp.expected_size ? ", exact"
                                                  : cp.file_size < *cp.expected_size
                                                      ? fmt::format(", {} missing", *cp.expected_size - cp.file_size)
                                                      : fmt::format(", {} trailing", cp.trailing_bytes))
                                    : ""));
  if (!cp.header.empty()) {
    line("\nheader");
    line(fmt::format("  {:>6}  {:>4}  {:<18} {}", "offset", "size", "field", "value"));
    for (const auto& h : cp.header) {
      std::string v = std::to_string(h.value);
      if (h.name == "magic")
        v = fmt::format("0x{:08x}{}", uint32_t(h.value), h.value == 0x616b3432 ? " (\"ak42\")" : " (not \"ak42\")");
      line(fmt::format("  {:>6}  {:>4}  {:<18} {}", h.offset, h.size, h.name, v));
    }
  }
  if (cp.config) {
    const auto& c = *cp.config;
    line("\nderived");
    line(fmt::format("  head_size {}, kv_dim {}, shared_classifier {}, group_size {}", c.head_size(), c.kv_dim(),
                     c.shared_classifier ? "yes" : "no", c.group_size > 0 ? std::to_string(c.group_size) : "-"));
    line(fmt::format("  parameters {}", r.parameters));
  }
  const FamilyRenderer* family = renderer_for(cp);
  if (family && family->text) out += family->text(cp);
  if (cp.tokenizer) {
    const auto& t = *cp.tokenizer;
    line("\ntokenizer");
    line(fmt::format("  variant {}, tokens {}, max_token_length {}, longest token {}, parsed {} bytes",
                     t.has_scores ? "with scores" : "lengths only (July 2023)", t.n_tokens,
                     t.has_scores ? std::to_string(t.max_token_length) : "-", t.longest_token, t.parsed_bytes));
  }
  if (!cp.tensors.empty()) {
    const bool q8 = std::any_of(cp.tensors.begin(), cp.tensors.end(),
                                [](const TensorInfo& t) { return t.spec.dtype == DType::q8_0; });
    size_t w = 4;
    for (const auto& t : cp.tensors) w = std::max(w, t.spec.name.size());
    line(fmt::format("\ntensors ({})", cp.tensors.size()));
    std::string head = fmt::format("  {:<{}}  {:<5} {:<14} {:>12} {:>12} {:>5}", "name", w, "dtype", "shape", "offset",
                                   "nbytes", "align");
    if (q8) head += fmt::format(" {:>12} {:>10} {:>5}", "scale_offset", "scale_nb", "align");
    line(head + "  status");
    const auto views = canonical_views(cp);
    for (size_t i = 0; i < cp.tensors.size(); ++i) {
      const auto& t = cp.tensors[i];
      const std::string canonical = canonical_names_of(views, i, t.spec.name);
      std::string row =
          fmt::format("  {:<{}}  {:<5} {:<14} {:>12} {:>12} {:>5}", t.spec.name, w, dtype_name(t.spec.dtype),
                      shape_text(t.spec.shape), t.place.offset, t.place.nbytes, alignment_of(t.place.offset));
      if (q8) {
        if (t.spec.dtype == DType::q8_0)
          row += fmt::format(" {:>12} {:>10} {:>5}", t.place.scale_offset, t.place.scale_nbytes,
                             alignment_of(t.place.scale_offset));
        else
          row += fmt::format(" {:>12} {:>10} {:>5}", "-", "-", "-");
      }
      row += "  " + std::string(tensor_status_name(t.status));
      if (!canonical.empty()) row += "  = " + canonical;
      if (t.status == TensorStatus::truncated)
        row += fmt::format(" ({} of {} bytes)", t.data_available + t.scale_available,
                           t.place.nbytes + t.place.scale_nbytes);
      line(row);
      if (!r.stats.empty()) {
        const auto& s = r.stats[i];
        if (!s) {
          line("      stats: unreadable");
        } else if (s->count > 0) {
          std::string st = fmt::format("      min {} max {} mean {} std {} absmax {} nan {} inf {} zeros {}", g(s->min),
                                       g(s->max), g(s->mean), g(s->std), g(s->absmax), s->nan, s->inf, s->zeros);
          if (s->q_min)
            st += fmt::format(" | int8 [{}, {}] scale [{}, {}]", *s->q_min, *s->q_max, g(*s->scale_min),
                              g(*s->scale_max));
          if (s->partial) st += fmt::format(" (partial: {} of {} values)", s->count, t.spec.numel);
          line(st);
          if (s->histogram && !s->histogram->empty())
            line(fmt::format("      hist [{}, {}] {}", g(s->min), g(s->max),
                             html::sparkline(*s->histogram, s->min, s->max)));
        } else {
          line("      stats: no values in the file");
        }
      }
    }
  }
  if (r.values) {
    line(fmt::format("\nvalues of {} {} (first {})", r.values->tensor, shape_text(r.values->shape),
                     r.values->values.size()));
    for (size_t i = 0; i < r.values->values.size(); ++i)
      line(fmt::format("  {:<16} {}", index_text(unravel(i, r.values->shape)), g(r.values->values[i])));
  }
  if (r.at) line("\nat " + location_text(*r.at, r.at->value));
  line(fmt::format("\nfindings ({})", cp.findings.size()));
  for (const auto& f : cp.findings)
    line(fmt::format("  {:<7} {:<18} {}{}", severity_name(f.severity), f.rule, f.message,
                     f.offset ? fmt::format(" [byte {}]", *f.offset) : ""));
  return out;
}

}  // namespace ckpt::cli
