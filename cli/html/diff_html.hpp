#pragma once
// `ckpt diff --html`: the diff model as one page. A heatmap (a row per layer, a column
// per tensor kind, the model's other tensors above) coloured by log10 max |a - b|, rmse
// or 1 - cosine, cells marked with their diagnosis; the summary and the config
// comparison; then, for the worst tensors, the |a - b| histogram, the error per row and
// per column, a map of the matrix, both top-left corners and the first mismatches.
#include <cstdint>
#include <string>

#include "ckpt/diff_report.hpp"

namespace ckpt::cli::html {

struct DiffHtmlOptions {
  uint64_t tensors = 10;  // --html-tensors: tensors shown in detail
};

// The colour scales of the heatmap: log10 of the metric from lo (lightest) to hi (darkest).
struct MetricScale {
  const char* id;     // "max_abs", "rmse", "one_minus_cos"
  const char* label;  // for people
  double lo, hi;
};
const MetricScale& metric_scale(int i);  // 0, 1, 2
constexpr int kMetrics = 3;

// The colour of a tensor's heatmap cell under metric i ("#rrggbb", or "url(#hatch)" for
// a tensor only one file has).
std::string cell_fill(const TensorDiff& t, int metric);

// The one-letter mark of a diagnosis kind in its heatmap cell ("" for none).
std::string diagnosis_glyph(const std::string& kind);

std::string diff_html(const DiffReport& r, const DiffHtmlOptions& opt);

}  // namespace ckpt::cli::html
