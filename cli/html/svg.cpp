#include "svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "utf8.hpp"

namespace ckpt::cli::html {

std::string esc(std::string_view raw) {
  const std::string s = valid_utf8(raw);
  std::string out;
  out.reserve(s.size());
  for (char c : s) switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  return out;
}

std::string num(double v, int digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e-3 && a < 1e6) return fmt::format("{:.{}g}", v, digits);
  return fmt::format("{:.{}e}", v, std::max(0, digits - 1));
}

std::string count_text(uint64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string bytes_text(uint64_t n) {
  if (n < 1000) return fmt::format("{} B", n);
  const char* units[] = {"kB", "MB", "GB", "TB", "PB"};
  double v = double(n);
  int u = -1;
  while (v >= 1000 && u < 4) v /= 1000, ++u;
  return fmt::format("{:.{}f} {}", v, v < 10 ? 2 : v < 100 ? 1 : 0, units[u]);
}

std::string Rgb::hex() const { return fmt::format("#{:02x}{:02x}{:02x}", r, g, b); }

bool Rgb::dark() const { return 0.299 * r + 0.587 * g + 0.114 * b < 140; }

Rgb Rgb::from_hex(std::string_view h) {
  auto nibble = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  if (h.size() != 7 || h[0] != '#') return {};
  int v[6];
  for (int i = 0; i < 6; ++i)
    if ((v[i] = nibble(h[size_t(i) + 1])) < 0) return {};
  return Rgb{v[0] * 16 + v[1], v[2] * 16 + v[3], v[4] * 16 + v[5]};
}

namespace {

Rgb lerp(const Rgb& a, const Rgb& b, double t) {
  return Rgb{int(std::lround(a.r + (b.r - a.r) * t)), int(std::lround(a.g + (b.g - a.g) * t)),
             int(std::lround(a.b + (b.b - a.b) * t))};
}

template <size_t N>
Rgb ramp(const std::array<Rgb, N>& stops, double t) {
  t = std::clamp(std::isnan(t) ? 0.0 : t, 0.0, 1.0) * double(N - 1);
  const size_t i = std::min(size_t(t), N - 2);
  return lerp(stops[i], stops[i + 1], t - double(i));
}

std::string attr(double v) { return fmt::format("{:.1f}", v); }

// Ticks at the powers of ten in [lo, hi] (at most ~8 of them: every k-th power).
std::vector<int> decades(double lo, double hi) {
  std::vector<int> out;
  const int a = int(std::ceil(lo - 1e-9)), b = int(std::floor(hi + 1e-9));
  const int step = std::max(1, (b - a) / 7 + ((b - a) % 7 != 0));
  for (int e = a; e <= b; e += step) out.push_back(e);
  return out;
}

std::string pow10_label(int e) {
  if (e == 0) return "1";
  if (e == 1) return "10";
  return fmt::format("1e{}", e);
}

}  // namespace

Rgb heat(double t) {
  // ColorBrewer YlOrRd, 9 classes: light for small errors, dark red for large ones.
  static const std::array<Rgb, 9> stops = {Rgb{255, 255, 204}, Rgb{255, 237, 160}, Rgb{254, 217, 118},
                                           Rgb{254, 178, 76},  Rgb{253, 141, 60},  Rgb{252, 78, 42},
                                           Rgb{227, 26, 28},   Rgb{189, 0, 38},    Rgb{128, 0, 38}};
  return ramp(stops, t);
}

Rgb diverging(double t) {
  // ColorBrewer RdBu reversed: blue negative, white zero, red positive.
  static const std::array<Rgb, 7> stops = {Rgb{33, 102, 172},  Rgb{103, 169, 207}, Rgb{209, 229, 240},
                                           Rgb{247, 247, 247}, Rgb{253, 219, 199}, Rgb{239, 138, 98},
                                           Rgb{178, 24, 43}};
  return ramp(stops, (std::clamp(std::isnan(t) ? 0.0 : t, -1.0, 1.0) + 1) / 2);
}

Rgb series_color(size_t i) {
  // Tableau 10: distinct at a glance, readable on white.
  static const std::array<Rgb, 10> c = {Rgb{78, 121, 167}, Rgb{242, 142, 43}, Rgb{225, 87, 89},   Rgb{118, 183, 178},
                                        Rgb{89, 161, 79},  Rgb{237, 201, 72}, Rgb{176, 122, 161}, Rgb{255, 157, 167},
                                        Rgb{156, 117, 95}, Rgb{186, 176, 172}};
  return c[i % c.size()];
}

double log_position(double v, double lo, double hi) {
  if (!(v > 0)) return 0.0;
  if (std::isinf(v)) return 1.0;
  return std::clamp((std::log10(v) - lo) / (hi - lo), 0.0, 1.0);
}

std::string log_legend_svg(double lo, double hi, int width, std::string_view label) {
  const int bar_w = width - 20, x0 = 10;
  std::string s =
      fmt::format(R"(<svg class="legend" width="{}" height="40" role="img" aria-label="{}">)", width, esc(label));
  s += R"(<defs><linearGradient id="heat-grad" x1="0" x2="1" y1="0" y2="0">)";
  for (int i = 0; i <= 8; ++i) s += fmt::format(R"(<stop offset="{}" stop-color="{}"/>)", i / 8.0, heat(i / 8.0).hex());
  s += "</linearGradient></defs>";
  s += fmt::format(
      R"~(<rect x="{}" y="4" width="{}" height="12" fill="url(#heat-grad)" stroke="#888" stroke-width="0.5"/>)~", x0,
      bar_w);
  for (int e : decades(lo, hi)) {
    const double x = x0 + bar_w * (e - lo) / (hi - lo);
    s += fmt::format(R"(<line x1="{0}" x2="{0}" y1="16" y2="20" stroke="#555"/>)", attr(x));
    s += fmt::format(R"(<text x="{}" y="31" text-anchor="middle" class="tick">{}</text>)", attr(x), pow10_label(e));
  }
  return s + "</svg>";
}

std::string value_histogram_svg(const Histogram& h, double lo, double hi, int width, int height, int bars) {
  std::string s = fmt::format(R"(<svg class="hist" width="{}" height="{}" role="img">)", width, height);
  const int plot_h = height - 14;
  if (h.empty()) {
    s += fmt::format(R"(<text x="4" y="{}" class="note">no finite values</text></svg>)", plot_h / 2 + 4);
    return s;
  }
  std::vector<double> counts;
  bool point = !(hi > lo);
  if (!point) {
    // Inclusive of hi: the largest value sits on the right edge.
    const double edge = hi + (hi - lo) * 1e-9;
    counts = h.spread(lo, edge, size_t(bars));
  }
  double top = 0;
  for (double c : counts) top = std::max(top, std::log10(1 + c));
  const double bw = double(width) / bars;
  s += fmt::format(R"(<rect x="0" y="0" width="{}" height="{}" class="plotbg"/>)", width, plot_h);
  if (point) {
    // Every value is the same number: one bar in the middle.
    s += fmt::format(R"(<rect x="{}" y="2" width="6" height="{}" class="bar"/>)", width / 2 - 3, plot_h - 2);
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="tick">all {}</text>)", width / 2, height - 2,
                     num(lo));
    return s + "</svg>";
  }
  std::string path;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] <= 0) continue;
    // A bin holding anything is at least 1.5 px high: a single outlier stays visible.
    const double hgt = std::max(1.5, (plot_h - 2) * std::log10(1 + counts[i]) / top);
    path += fmt::format("M{} {}h{}v{}h{}Z", attr(i * bw), attr(plot_h - hgt), attr(std::max(bw - 0.4, 0.6)), attr(hgt),
                        attr(-std::max(bw - 0.4, 0.6)));
  }
  s += fmt::format(R"(<path d="{}" class="bar"/>)", path);
  if (lo < 0 && hi > 0) {
    const double x = width * (-lo) / (hi - lo);
    s += fmt::format(R"(<line x1="{0}" x2="{0}" y1="0" y2="{1}" class="zero"/>)", attr(x), plot_h);
  }
  s += fmt::format(R"(<text x="1" y="{}" class="tick">{}</text>)", height - 2, num(lo));
  s += fmt::format(R"(<text x="{}" y="{}" text-anchor="end" class="tick">{}</text>)", width - 1, height - 2, num(hi));
  return s + "</svg>";
}

std::string log_histogram_svg(const Histogram& h, int width, int height, std::string_view x_label) {
  std::string s = fmt::format(R"(<svg class="hist" width="{}" height="{}" role="img">)", width, height);
  const int left = 34, bottom = 30, plot_w = width - left - 16, plot_h = height - bottom - 4;
  s += fmt::format(R"(<rect x="{}" y="4" width="{}" height="{}" class="plotbg"/>)", left, plot_w, plot_h);
  uint64_t zero = 0;
  double lo = INFINITY, hi = -INFINITY, top = 0;
  for (const auto& b : h.bins) {
    top = std::max(top, std::log10(1.0 + double(b.count)));
    if (b.lo <= 0) {
      zero += b.count;
      continue;
    }
    lo = std::min(lo, std::log10(b.lo));
    hi = std::max(hi, std::log10(b.hi));
  }
  if (!(hi > lo)) lo = -8, hi = 0;
  lo = std::floor(lo);
  hi = std::ceil(hi);
  if (hi - lo < 2) lo = hi - 2;
  // The zero bar takes the first 14 px of the plot, the log axis the rest.
  const double x0 = left + (zero ? 16 : 0), w = plot_w - (zero ? 16 : 0);
  auto xpos = [&](double v) { return x0 + w * (std::log10(v) - lo) / (hi - lo); };
  auto bar_h = [&](uint64_t c) { return std::max(1.5, (plot_h - 2) * std::log10(1.0 + double(c)) / top); };
  std::string path;
  for (const auto& b : h.bins) {
    if (b.lo <= 0) continue;
    const double x = xpos(b.lo), x2 = xpos(b.hi), bh = bar_h(b.count);
    path += fmt::format("M{} {}H{}V{}H{}Z", attr(x), attr(4 + plot_h - bh), attr(std::max(x2 - 0.3, x + 0.8)),
                        attr(4 + plot_h), attr(x));
  }
  s += fmt::format(R"(<path d="{}" class="bar"/>)", path);
  if (zero) {
    const double bh = bar_h(zero);
    s += fmt::format(
        R"(<rect x="{}" y="{}" width="12" height="{}" class="bar-zero"><title>{} exactly equal</title></rect>)",
        left + 1, attr(4 + plot_h - bh), attr(bh), count_text(zero));
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="tick">=0</text>)", left + 7, 4 + plot_h + 11);
  }
  for (int e : decades(lo, hi)) {
    const double x = x0 + w * (e - lo) / (hi - lo);
    s += fmt::format(R"(<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="#777"/>)", attr(x), 4 + plot_h,
                     4 + plot_h + 3);
    if (zero && x < x0 + 14) continue;  // the "=0" label is there
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="tick">{}</text>)", attr(x), 4 + plot_h + 13,
                     pow10_label(e));
  }
  s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text>)", left + plot_w / 2, height - 3,
                   esc(x_label));
  s += fmt::format(
      R"~(<text x="10" y="{}" transform="rotate(-90 10 {})" text-anchor="middle" class="axis">log count</text>)~",
      4 + plot_h / 2, 4 + plot_h / 2);
  return s + "</svg>";
}

std::string bar_profile_svg(const BarSeries& bs, int width, int height) {
  std::string s = fmt::format(R"(<svg class="profile" width="{}" height="{}" role="img">)", width, height);
  const int left = 40, bottom = 28, plot_w = width - left - 8, plot_h = height - bottom - 6;
  const double y0 = 6;
  s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" class="plotbg"/>)", left, attr(y0), plot_w, plot_h);
  const size_t n = bs.values.size();
  const double bw = n ? double(plot_w) / double(n) : 0;
  auto ypos = [&](double v) { return y0 + plot_h * (1 - log_position(v, bs.lo, bs.hi)); };
  std::string missing, equal;
  for (size_t i = 0; i < n; ++i) {
    const double x = left + i * bw;
    if (i < bs.present.size() && !bs.present[i]) {
      missing += fmt::format("M{} {}h{}v{}h{}Z", attr(x), attr(y0), attr(bw), plot_h, attr(-bw));
      continue;
    }
    const double v = bs.values[i];
    if (!(v > 0)) {
      equal += fmt::format("M{} {}h{}v3h{}Z", attr(x), attr(y0 + plot_h - 3), attr(std::max(bw, 0.8)),
                           attr(-std::max(bw, 0.8)));
      continue;
    }
    const double top = ypos(v);
    s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>)", attr(x), attr(top),
                     attr(std::max(bw - (bw > 3 ? 0.5 : 0), 0.8)), attr(y0 + plot_h - top),
                     heat(log_position(v, bs.lo, bs.hi)).hex());
  }
  if (!missing.empty()) s += fmt::format(R"~(<path d="{}" fill="url(#hatch)"/>)~", missing);
  if (!equal.empty()) s += fmt::format(R"(<path d="{}" fill="#3c9a50"/>)", equal);
  for (int e : decades(bs.lo, bs.hi)) {
    const double y = y0 + plot_h * (1 - (e - bs.lo) / (bs.hi - bs.lo));
    s += fmt::format(R"(<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" class="grid"/>)", left, left + plot_w, attr(y));
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="end" class="tick">{}</text>)", left - 3, attr(y + 3),
                     pow10_label(e));
  }
  // x ticks: start, middle, end in x units.
  for (double f : {0.0, 0.5, 1.0}) {
    const uint64_t u = uint64_t(std::llround(f * double(bs.total)));
    const double x = left + f * plot_w;
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="{}" class="tick">{}</text>)", attr(x), y0 + plot_h + 11,
                     f == 0   ? "start"
                     : f == 1 ? "end"
                              : "middle",
                     u);
  }
  s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text>)", left + plot_w / 2, height - 3,
                   esc(bs.x_label));
  return s + "</svg>";
}

std::string line_chart_svg(const std::vector<Line>& lines, int width, int height, std::string_view x_label,
                           std::string_view y_label) {
  const int left = 46, right = 110, top = 8, bottom = 30;
  const int plot_w = width - left - right, plot_h = height - top - bottom;
  std::string s = fmt::format(R"(<svg class="lines" width="{}" height="{}" role="img">)", width, height);
  s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" class="plotbg"/>)", left, top, plot_w, plot_h);
  double lo = INFINITY, hi = -INFINITY;
  size_t n = 0;
  for (const auto& l : lines) {
    n = std::max(n, l.y.size());
    for (double v : l.y)
      if (v > 0 && std::isfinite(v)) lo = std::min(lo, std::log10(v)), hi = std::max(hi, std::log10(v));
  }
  if (!(hi >= lo)) lo = -3, hi = 0;
  lo = std::floor(lo);
  hi = std::ceil(hi);
  if (hi - lo < 1) hi = lo + 1;
  auto xpos = [&](size_t i) { return left + (n > 1 ? plot_w * double(i) / double(n - 1) : plot_w / 2.0); };
  auto ypos = [&](double v) { return top + plot_h * (1 - (std::log10(v) - lo) / (hi - lo)); };
  for (int e : decades(lo, hi)) {
    const double y = top + plot_h * (1 - (e - lo) / (hi - lo));
    s += fmt::format(R"(<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" class="grid"/>)", left, left + plot_w, attr(y));
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="end" class="tick">{}</text>)", left - 3, attr(y + 3),
                     pow10_label(e));
  }
  const size_t step = std::max<size_t>(1, n / 16 + (n % 16 != 0));
  for (size_t i = 0; i < n; i += step)
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="tick">{}</text>)", attr(xpos(i)),
                     top + plot_h + 12, i);
  for (size_t k = 0; k < lines.size(); ++k) {
    const auto& l = lines[k];
    const std::string color = series_color(k).hex();
    std::string path, marks;
    bool pen = false;
    for (size_t i = 0; i < l.y.size(); ++i) {
      const double v = l.y[i];
      if (!(v > 0) || !std::isfinite(v)) {
        // Zero (a dead tensor) or not a number: a hollow marker on the base line.
        marks += fmt::format(
            R"(<circle cx="{}" cy="{}" r="5" fill="#fff" stroke="{}" stroke-width="2.5"><title>{} layer {}: {}</title></circle>)",
            attr(xpos(i)), top + plot_h, color, esc(l.name), i, num(v));
        pen = false;
        continue;
      }
      path += fmt::format("{}{} {}", pen ? "L" : "M", attr(xpos(i)), attr(ypos(v)));
      marks += fmt::format(R"(<circle cx="{}" cy="{}" r="2" fill="{}"><title>{} layer {}: {}</title></circle>)",
                           attr(xpos(i)), attr(ypos(v)), color, esc(l.name), i, num(v));
      pen = true;
    }
    s += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="1.5"/>)", path, color);
    s += marks;
    const int ly = top + 10 + int(k) * 14;
    s += fmt::format(
        R"(<rect x="{}" y="{}" width="10" height="3" fill="{}"/><text x="{}" y="{}" class="tick">{}</text>)",
        left + plot_w + 8, ly - 4, color, left + plot_w + 22, ly, esc(l.name));
  }
  s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text>)", left + plot_w / 2, height - 3,
                   esc(x_label));
  s += fmt::format(
      R"~(<text x="11" y="{0}" transform="rotate(-90 11 {0})" text-anchor="middle" class="axis">{1}</text>)~",
      top + plot_h / 2, esc(y_label));
  return s + "</svg>";
}

std::string grid_svg(uint64_t rows, uint64_t cols, const std::vector<std::string>& fills, int cell,
                     const std::vector<std::string>& titles) {
  std::string s = fmt::format(R"(<svg class="grid" width="{}" height="{}" role="img" shape-rendering="crispEdges">)",
                              cols * cell, rows * cell);
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c) {
      const size_t i = size_t(r * cols + c);
      if (i >= fills.size()) break;
      s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}">)", c * cell, r * cell, cell, cell,
                       fills[i]);
      if (i < titles.size()) s += "<title>" + titles[i] + "</title>";
      s += "</rect>";
    }
  return s + "</svg>";
}

namespace {

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    const uint32_t n = (uint32_t(uint8_t(in[i])) << 16) | (i + 1 < in.size() ? uint32_t(uint8_t(in[i + 1])) << 8 : 0) |
                       (i + 2 < in.size() ? uint32_t(uint8_t(in[i + 2])) : 0);
    out += t[(n >> 18) & 63];
    out += t[(n >> 12) & 63];
    out += i + 1 < in.size() ? t[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? t[n & 63] : '=';
  }
  return out;
}

void le(std::string& s, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += char((v >> (8 * i)) & 0xff);
}

}  // namespace

std::string pixel_image(uint64_t rows, uint64_t cols, const std::vector<Rgb>& colors, int width, int height,
                        std::string_view alt) {
  // A 24-bit BMP: 54 header bytes, then rows bottom-up, each padded to 4 bytes.
  const uint32_t stride = uint32_t((cols * 3 + 3) / 4 * 4), size = 54 + stride * uint32_t(rows);
  std::string b = "BM";
  le(b, size, 4);
  le(b, 0, 4);
  le(b, 54, 4);
  le(b, 40, 4);
  le(b, uint32_t(cols), 4);
  le(b, uint32_t(rows), 4);
  le(b, 1, 2);
  le(b, 24, 2);
  le(b, 0, 4);
  le(b, stride * uint32_t(rows), 4);
  le(b, 2835, 4);
  le(b, 2835, 4);
  le(b, 0, 4);
  le(b, 0, 4);
  for (uint64_t r = rows; r-- > 0;) {
    for (uint64_t c = 0; c < cols; ++c) {
      const size_t i = size_t(r * cols + c);
      const Rgb p = i < colors.size() ? colors[i] : Rgb{255, 255, 255};
      b += char(p.b);
      b += char(p.g);
      b += char(p.r);
    }
    for (uint64_t k = cols * 3; k < stride; ++k) b += '\0';
  }
  return fmt::format(R"(<img class="px" src="data:image/bmp;base64,{}" width="{}" height="{}" alt="{}">)", base64(b),
                     width, height, esc(alt));
}

}  // namespace ckpt::cli::html
