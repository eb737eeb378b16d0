#pragma once
// Human-readable rendering of the inspect model.
#include <string>

#include "ckpt/inspect_report.hpp"

namespace ckpt::cli {

std::string inspect_text(const InspectReport& r);
std::string shape_text(const std::vector<uint64_t>& shape);
std::string location_text(const Location& l, const std::optional<double>& value);

}  // namespace ckpt::cli
