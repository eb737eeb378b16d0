#include "byte_map.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "svg.hpp"

namespace ckpt::cli::html {

std::string_view byte_kind_name(ByteKind k) {
  switch (k) {
    case ByteKind::header:
      return "header";
    case ByteKind::tensor:
      return "tensor data";
    case ByteKind::scales:
      return "Q8_0 scales";
    case ByteKind::metadata:
      return "metadata";
    case ByteKind::gap:
      return "padding / unmapped";
    case ByteKind::trailing:
      return "trailing bytes";
    case ByteKind::missing:
      return "missing (beyond the end)";
  }
  return "";
}

namespace {

const char* kind_fill(ByteKind k, size_t tensor) {
  switch (k) {
    case ByteKind::header:
      return "#4e79a7";
    case ByteKind::tensor:
      return tensor % 2 ? "#76b7b2" : "#59a14f";  // neighbours tell apart
    case ByteKind::scales:
      return "#f28e2b";
    case ByteKind::metadata:
      return "#b07aa1";
    case ByteKind::gap:
      return "#d7dbe0";
    case ByteKind::trailing:
      return "#e15759";
    case ByteKind::missing:
      return "url(#hatch-red)";
  }
  return "#000";
}

}  // namespace

std::vector<ByteRegion> byte_regions(const Checkpoint& cp, size_t cap) {
  const uint64_t size = cp.file_size;
  std::vector<ByteRegion> claims;
  auto claim = [&](uint64_t off, uint64_t len, ByteKind k, std::string label, size_t tensor) {
    if (len == 0 || off >= size) return;  // what lies beyond the end is one `missing` region
    claims.push_back(ByteRegion{off, std::min(len, size - off), k, std::move(label), tensor});
  };
  claim(0, cp.header_size, ByteKind::header, "", 0);
  for (size_t i = 0; i < cp.tensors.size(); ++i) {
    const TensorInfo& t = cp.tensors[i];
    if (t.place.source != 0) continue;
    claim(t.place.offset, t.place.nbytes, ByteKind::tensor, t.spec.name, i);
    claim(t.place.scale_offset, t.place.scale_nbytes, ByteKind::scales, t.spec.name, i);
  }
  for (const auto& m : cp.metadata) claim(m.offset, m.nbytes, ByteKind::metadata, m.key, 0);
  if (cp.trailing_bytes && cp.trailing_bytes <= size)
    claim(size - cp.trailing_bytes, cp.trailing_bytes, ByteKind::trailing, "", 0);
  std::stable_sort(claims.begin(), claims.end(),
                   [](const ByteRegion& a, const ByteRegion& b) { return a.offset < b.offset; });

  std::vector<ByteRegion> out;
  uint64_t at = 0;
  for (size_t i = 0; i < claims.size(); ++i) {
    ByteRegion& c = claims[i];
    const uint64_t end = c.offset + c.length;
    if (end <= at) continue;  // inside what an earlier claim already holds (a broken table)
    if (c.offset > at) out.push_back(ByteRegion{at, c.offset - at, ByteKind::gap, "", 0});
    c.length = end - std::max(c.offset, at);
    c.offset = std::max(c.offset, at);
    at = end;
    if (out.size() + 2 >= cap) {
      // Too many to draw one by one: the rest of the file as one region.
      out.push_back(ByteRegion{c.offset, size - c.offset, ByteKind::tensor,
                               fmt::format("{} more regions", claims.size() - i), c.tensor});
      at = size;
      break;
    }
    out.push_back(std::move(c));
  }
  if (at < size) out.push_back(ByteRegion{at, size - at, ByteKind::gap, "", 0});
  uint64_t expected = cp.expected_size.value_or(0);
  for (const auto& t : cp.tensors)
    if (t.place.source == 0 && t.status != TensorStatus::complete) {
      expected = std::max({expected, t.place.offset + t.place.nbytes, t.place.scale_offset + t.place.scale_nbytes});
    }
  if (expected > size) out.push_back(ByteRegion{size, expected - size, ByteKind::missing, "", 0});
  return out;
}

std::string byte_map_svg(const Checkpoint& cp, const std::vector<ByteRegion>& regions, int width, int rows) {
  uint64_t total = 1;
  for (const auto& r : regions) total = std::max(total, r.offset + r.length);
  rows = std::max(1, rows);
  const int label_w = 64, bar_w = width - label_w - 4, row_h = 22, gap = 16;
  const double per_row = double(total) / rows, px = bar_w / per_row;  // px per byte
  std::string s = fmt::format(R"(<svg class="bytemap" width="{}" height="{}" role="img" aria-label="byte map">)", width,
                              rows * (row_h + gap) + 14);
  for (int r = 0; r < rows; ++r) {
    const double y = r * (row_h + gap);
    s += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{}</text>)", label_w - 6, y + 15,
                     bytes_text(uint64_t(r * per_row)));
    s += fmt::format(R"(<rect x="{}" y="{:.1f}" width="{}" height="{}" fill="#f4f5f8"/>)", label_w, y, bar_w, row_h);
  }
  for (const auto& g : regions) {
    const std::string title =
        esc(fmt::format("{}{}: bytes {}..{} ({})", byte_kind_name(g.kind), g.label.empty() ? "" : " " + g.label,
                        count_text(g.offset), count_text(g.offset + g.length - 1), bytes_text(g.length)));
    // Split the region at row ends; each piece at least 1 px wide.
    double a = double(g.offset), b = double(g.offset + g.length);
    while (a < b) {
      const int r = std::min(rows - 1, int(a / per_row));
      const double row_end = std::min(b, (r + 1) * per_row);
      const double x = label_w + (a - r * per_row) * px, w = std::max(1.0, (row_end - a) * px);
      s += fmt::format(
          R"(<rect class="r" data-kind="{}" x="{:.2f}" y="{}" width="{:.2f}" height="{}" fill="{}"><title>{}</title></rect>)",
          byte_kind_name(g.kind), x, r * (row_h + gap), w, row_h, kind_fill(g.kind, g.tensor), title);
      if (row_end >= b || r == rows - 1) break;
      a = row_end;
    }
  }
  // Where a truncated file ends: a break across its row.
  if (!regions.empty() && regions.back().kind == ByteKind::missing) {
    const double a = double(cp.file_size);
    const int r = std::min(rows - 1, int(a / per_row));
    const double x = label_w + (a - r * per_row) * px, y = r * (row_h + gap);
    s += fmt::format(
        R"(<line class="break" x1="{0:.2f}" x2="{0:.2f}" y1="{1:.1f}" y2="{2:.1f}" stroke="#b3261e" stroke-width="3"/>)",
        x, y - 3, y + row_h + 3);
    s += fmt::format(
        R"(<text x="{:.2f}" y="{:.1f}" style="fill:#b3261e;font-weight:600" text-anchor="{}">the file ends at byte {}</text>)",
        x + (x > width - 200 ? -6 : 6), y + row_h + 12, x > width - 200 ? "end" : "start", count_text(cp.file_size));
  }
  return s + "</svg>";
}

}  // namespace ckpt::cli::html
