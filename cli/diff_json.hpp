#pragma once
// JSON rendering of the diff model (schema "ckpt.diff/1", documented in README.md).
#include <nlohmann/json.hpp>

#include "ckpt/diff_report.hpp"

namespace ckpt::cli {

// A float as JSON: a number, or the string "nan", "inf" or "-inf" (JSON has none).
nlohmann::json float_json(double v);
nlohmann::json diff_json(const DiffReport& r);

}  // namespace ckpt::cli
