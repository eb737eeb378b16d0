#pragma once
// JSON rendering of the inspect model (schema "ckpt.inspect/1", documented in README).
#include <nlohmann/json.hpp>

#include "ckpt/inspect_report.hpp"

namespace ckpt::cli {

nlohmann::json finding_json(const Finding& f);
nlohmann::json config_json(const ModelConfig& c);
// A double as JSON, null when it is not finite (JSON has no NaN or Inf).
nlohmann::json number_or_null(double v);
// A histogram as [[lo, hi, count], ...], its non-empty bins ascending.
nlohmann::json histogram_json(const Histogram& h);
// histograms: include the stats' histograms (inspect --hist) when the report has them.
nlohmann::json inspect_json(const InspectReport& r, bool histograms = true);

}  // namespace ckpt::cli
