#pragma once
// Text rendering of the diff model: the most serious differences first, one summary line last.
#include <string>

#include "ckpt/diff_report.hpp"

namespace ckpt::cli {

std::string diff_text(const DiffReport& r);
// The last line of the text form, also used on its own.
std::string diff_summary(const DiffReport& r);

}  // namespace ckpt::cli
