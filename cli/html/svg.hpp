#pragma once
// The drawing kit of the HTML reports: escaping, numbers for people, the colour scales
// and the small SVG charts (histograms, bar profiles, line charts, cell grids) that the
// diff and inspect pages are made of. Everything returns markup as a string; nothing
// here knows about tensors.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/histogram.hpp"

namespace ckpt::cli::html {

// Text and attribute values with & < > " ' escaped (invalid UTF-8 replaced by U+FFFD).
std::string esc(std::string_view s);

// "0.0123", "1.5e-07", "12345": short numbers for labels; "nan", "inf" as such.
std::string num(double v, int digits = 3);
// 1234567 -> "1,234,567"; bytes -> "1.2 GB" (decimal units).
std::string count_text(uint64_t n);
std::string bytes_text(uint64_t n);

struct Rgb {
  int r = 0, g = 0, b = 0;
  std::string hex() const;                    // "#rrggbb"
  bool dark() const;                          // white text reads better on it
  static Rgb from_hex(std::string_view hex);  // "#rrggbb"; black when malformed
};

// The sequential scale of the reports (light yellow -> dark red), t in [0, 1] (clamped).
Rgb heat(double t);
// A diverging scale (blue -> white -> red), t in [-1, 1] (clamped), for signed values.
Rgb diverging(double t);
// Distinct colours for series (tensor kinds), cycling after ten.
Rgb series_color(size_t i);
// Colours with a meaning of their own.
inline constexpr std::string_view kEqualColor = "#d3e8d6";    // bit-identical
inline constexpr std::string_view kMissingColor = "#c9ccd1";  // nothing to compare
inline constexpr std::string_view kShapeColor = "#5b6270";    // shapes differ

// Where v falls on a log10 axis from 10^lo to 10^hi, in [0, 1]; 0 for v <= 0.
double log_position(double v, double lo, double hi);

// A colour bar with ticks at the powers of ten from 10^lo to 10^hi (width x 34 px).
std::string log_legend_svg(double lo, double hi, int width, std::string_view label);

// A histogram of values on a linear x axis [lo, hi] with log-scaled counts: the bins are
// spread onto `bars` equal bars. Marks x = 0 when it is inside. Empty histogram: a note.
std::string value_histogram_svg(const Histogram& h, double lo, double hi, int width, int height, int bars = 64);

// A histogram on a log10 x axis (positive values: |a - b|, Q8_0 scales), log counts;
// the bin around zero, if any, is drawn apart at the left as "= 0".
std::string log_histogram_svg(const Histogram& h, int width, int height, std::string_view x_label);

// Bars of positive values on a log y axis, each coloured by its height on the heat
// scale [10^lo, 10^hi]; `present[i]` false draws bar i as missing (hatched). Values of
// 0 are drawn as a green tick on the base line (equal).
struct BarSeries {
  std::vector<double> values;
  std::vector<bool> present;
  double lo = -8, hi = 0;       // log10 range of the y axis and colours
  std::string x_label;          // what a bar is ("rows", "columns")
  uint64_t first = 0, per = 1;  // bar i covers x units [first + i*per, first + (i+1)*per)
  uint64_t total = 0;           // x units in all
};
std::string bar_profile_svg(const BarSeries& s, int width, int height);

// Lines over x = 0..n-1 (layers), log y; each series a colour and a legend entry. A
// value <= 0 or NaN is drawn as a hollow marker on the base line.
struct Line {
  std::string name;
  std::vector<double> y;
};
std::string line_chart_svg(const std::vector<Line>& lines, int width, int height, std::string_view x_label,
                           std::string_view y_label);

// A rows x cols grid of cells, colours given (row-major), `cell` px each, optional
// titles (tooltips) per cell. For small grids: every cell is an element.
std::string grid_svg(uint64_t rows, uint64_t cols, const std::vector<std::string>& fills, int cell,
                     const std::vector<std::string>& titles = {});

// The same as an <img> of a BMP held in the page (a data: URL), scaled up without
// smoothing: a 32 x 32 grid costs 4 kB instead of 1024 elements.
std::string pixel_image(uint64_t rows, uint64_t cols, const std::vector<Rgb>& colors, int width, int height,
                        std::string_view alt);

}  // namespace ckpt::cli::html
