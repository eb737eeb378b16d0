#pragma once
// Text rendering of the diff model: the most serious differences first, one summary line last.
#include <string>

#include "ckpt/diff_report.hpp"

namespace ckpt::cli {

std::string diff_text(const DiffReport& r);
// The last line of the text form, also used on its own.
std::string diff_summary(const DiffReport& r);
// --summary: a table of every tensor, one line each (name, status, max_abs, rmse, cosine,
// diagnosis), then the summary line.
std::string diff_table(const DiffReport& r);
// A diagnosis in a few words for a table cell: its kind and main parameter
// ("rounded bf16 (B)", "quantized q8_0 g32 (B)", "rows_permuted heads_reordered", ...).
std::string diagnosis_label(const Diagnosis& d);

}  // namespace ckpt::cli
