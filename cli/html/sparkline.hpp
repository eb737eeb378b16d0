#pragma once
// `inspect --stats --hist`: a value histogram as one line of block characters.
#include <string>

#include "ckpt/histogram.hpp"

namespace ckpt::cli::html {

// `width` characters over [lo, hi], each ▁..█ by log(1 + count) (a space for none), so
// that a lone outlier still shows; "" for an empty histogram, one █ when lo == hi.
std::string sparkline(const Histogram& h, double lo, double hi, int width = 40);

}  // namespace ckpt::cli::html
