#pragma once
// `ckpt inspect --html`: the inspect model as one page. The byte map of the file drawn to
// scale (a truncated file's break visible), the findings, the config, and with --stats a
// value histogram per tensor (log counts), std and absmax per layer for each tensor kind,
// the Q8_0 scale distribution, and the tensor table.
#include <string>

#include "ckpt/inspect_report.hpp"

namespace ckpt::cli::html {

std::string inspect_html(const InspectReport& r);

}  // namespace ckpt::cli::html
