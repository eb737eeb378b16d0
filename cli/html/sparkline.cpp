#include "sparkline.hpp"

#include <algorithm>
#include <cmath>

namespace ckpt::cli::html {

std::string sparkline(const Histogram& h, double lo, double hi, int width) {
  static const char* blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (h.empty() || width <= 0) return "";
  if (!(hi > lo)) return blocks[7];
  // Inclusive of hi: the largest value belongs in the last character.
  const auto counts = h.spread(lo, hi + (hi - lo) * 1e-9, size_t(width));
  double top = 0;
  for (double c : counts) top = std::max(top, std::log1p(c));
  std::string s;
  for (double c : counts) {
    // Spreading leaves fractions in bins next to occupied ones: below half a value is none.
    if (c < 0.5) {
      s += ' ';
      continue;
    }
    const int level = std::clamp(int(std::ceil(8 * std::log1p(c) / top)) - 1, 0, 7);
    s += blocks[level];
  }
  return s;
}

}  // namespace ckpt::cli::html
