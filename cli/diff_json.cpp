#include "diff_json.hpp"

#include <fmt/format.h>

#include <cmath>

#include "inspect_json.hpp"

namespace ckpt::cli {

using nlohmann::json;

json float_json(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

namespace {

json pair_json(const ElementPair& e) {
  return json{{"index", e.index}, {"flat", e.flat}, {"a", float_json(e.a)}, {"b", float_json(e.b)}};
}

json extremum_json(const std::optional<Extremum>& e) {
  if (!e) return nullptr;
  json j = pair_json(e->at);
  j["value"] = float_json(e->value);
  return j;
}

json diagnosis_json(const std::optional<Diagnosis>& d) {
  if (!d) return nullptr;
  json j{{"kind", d->name()}, {"detail", d->detail}, {"checked", d->checked}};
  if (!d->other.empty()) j["other"] = d->other;
  if (d->factor) j["factor"] = float_json(*d->factor);
  if (d->shift) j["shift"] = *d->shift;
  if (!d->direction.empty()) j["direction"] = d->direction;
  if (!d->pattern.empty()) j["pattern"] = d->pattern;
  if (!d->order.empty()) j["order"] = d->order;
  if (d->block) j["block"] = d->block;
  if (!d->shape.empty()) j["shape"] = d->shape;
  if (d->kind == DiagnosisKind::tilized || d->kind == DiagnosisKind::untilized) {
    j["of_transpose"] = d->of_transpose;
    j["tile"] = d->tile;
    j["face"] = d->face;
  }
  if (!d->precision.empty()) j["precision"] = d->precision;
  if (!d->rounding.empty()) j["rounding"] = d->rounding;
  if (!d->side.empty()) j["side"] = d->side;
  if (d->group_a || d->group_b)
    j["group_size"] = {{"a", d->group_a ? json(*d->group_a) : json(nullptr)},
                       {"b", d->group_b ? json(*d->group_b) : json(nullptr)}};
  if (!d->accept.empty()) j["accept"] = d->accept;
  if (d->fingerprint)  // hex strings: JSON readers lose 64-bit integers
    j["fingerprint"] = {{"count", d->fingerprint->count},
                        {"sum", fmt::format("{:#018x}", d->fingerprint->sum)},
                        {"sum_squares", fmt::format("{:#018x}", d->fingerprint->sum_squares)}};
  return j;
}

json profile_json(const ErrorShape::Profile& p) {
  json rms = json::array();
  for (double v : p.rms) rms.push_back(float_json(v));
  return {{"bucket", p.bucket}, {"rms", rms}, {"count", p.count}};
}

// --html collects it: where the errors are (diff/include/ckpt/error_shape.hpp).
json error_shape_json(const ErrorShape& e) {
  json map = json::array();
  for (double v : e.map_rms) map.push_back(float_json(v));
  json ca = json::array(), cb = json::array();
  for (float v : e.corner_a) ca.push_back(float_json(v));
  for (float v : e.corner_b) cb.push_back(float_json(v));
  return {{"rows", e.rows},
          {"cols", e.cols},
          {"compared", e.compared},
          {"abs_error", histogram_json(e.abs_error)},
          {"by_row", profile_json(e.by_row)},
          {"by_col", profile_json(e.by_col)},
          {"map",
           {{"rows", e.map_rows},
            {"cols", e.map_cols},
            {"row_bucket", e.map_row_bucket},
            {"col_bucket", e.map_col_bucket},
            {"rms", map},
            {"count", e.map_count}}},
          {"corner", {{"rows", e.corner_rows}, {"cols", e.corner_cols}, {"a", ca}, {"b", cb}}}};
}

json tensor_json(const TensorDiff& t) {
  json j{{"name", t.name},
         {"status", diff_status_name(t.status)},
         {"layout_only", t.layout_only},
         {"shape_a", t.shape_a.empty() && t.dtype_a.empty() ? json(nullptr) : json(t.shape_a)},
         {"shape_b", t.shape_b.empty() && t.dtype_b.empty() ? json(nullptr) : json(t.shape_b)},
         {"dtype_a", t.dtype_a.empty() ? json(nullptr) : json(t.dtype_a)},
         {"dtype_b", t.dtype_b.empty() ? json(nullptr) : json(t.dtype_b)},
         {"source_a", t.source_a.empty() ? json(nullptr) : json(t.source_a)},
         {"source_b", t.source_b.empty() ? json(nullptr) : json(t.source_b)},
         {"rule", t.rule.empty() ? json(nullptr) : json(t.rule)},
         {"numel", t.numel},
         {"compared", t.compared},
         {"missing", t.missing},
         {"max_abs", extremum_json(t.max_abs)},
         {"max_rel", extremum_json(t.max_rel)},
         {"rmse", t.compared ? float_json(t.rmse) : json(nullptr)},
         {"cosine", t.cosine ? float_json(*t.cosine) : json(nullptr)},
         {"mismatches", {{"count", t.mismatches}, {"percent", t.percent()}}},
         {"diagnosis", diagnosis_json(t.diagnosis)}};
  json first = json::array();
  for (const auto& m : t.first_mismatches) first.push_back(pair_json(m));
  j["first_mismatches"] = first;
  if (t.extra_rows)
    j["extra_rows"] = {{"side", std::string(1, t.extra_rows->side)},
                       {"first_row", t.extra_rows->first_row},
                       {"rows", t.extra_rows->rows},
                       {"all_zero", t.extra_rows->all_zero}};
  else
    j["extra_rows"] = nullptr;
  if (t.error_shape) j["error_shape"] = error_shape_json(*t.error_shape);
  return j;
}

json location_json(const Location& l) {
  json j{{"kind", region_kind_name(l.kind)}, {"beyond_file", l.beyond_file}};
  if (!l.field.empty()) j["field"] = l.field;
  if (!l.tensor.empty()) {
    j["tensor"] = l.tensor;
    j["part"] = l.part;
    j["element"] = l.element;
    j["index"] = l.index;
    if (l.part != "f32") j["group"] = l.group;
  }
  j["byte_in_element"] = l.byte_in_element;
  return j;
}

json bytes_json(const ByteDiff& b) {
  json ranges = json::array();
  for (const auto& r : b.first_ranges)
    ranges.push_back({{"offset", r.offset},
                      {"length", r.length},
                      {"a", {{"first", location_json(r.a_first)}, {"last", location_json(r.a_last)}}},
                      {"b", {{"first", location_json(r.b_first)}, {"last", location_json(r.b_last)}}}});
  return json{{"size_a", b.size_a},       {"size_b", b.size_b}, {"compared", b.compared},
              {"differing", b.differing}, {"ranges", b.ranges}, {"first_ranges", ranges}};
}

json side_json(const std::string& path, Format f, const std::optional<ModelConfig>& c) {
  return json{{"path", path}, {"format", format_name(f)}, {"config", c ? config_json(*c) : json(nullptr)}};
}

}  // namespace

json diff_json(const DiffReport& r) {
  json config = json::array();
  for (const auto& c : r.config)
    config.push_back(
        {{"field", c.field}, {"a", c.a ? json(*c.a) : json(nullptr)}, {"b", c.b ? json(*c.b) : json(nullptr)}});
  json tensors = json::array();
  json summary{{"tensors", 0},   {"equal", 0},          {"differs", 0},    {"only_in_a", 0},
               {"only_in_b", 0}, {"shape_mismatch", 0}, {"layout_only", 0}};
  for (const auto& t : r.tensors) {
    tensors.push_back(tensor_json(t));
    summary["tensors"] = summary["tensors"].get<int64_t>() + 1;
    const std::string key = t.layout_only ? "layout_only" : std::string(diff_status_name(t.status));
    summary[key] = summary[key].get<int64_t>() + 1;
  }
  json j{{"schema", "ckpt.diff/1"},
         {"a", side_json(r.path_a, r.format_a, r.config_a)},
         {"b", side_json(r.path_b, r.format_b, r.config_b)},
         {"mode", r.bytes ? "bytes" : "tensors"},
         {"equal", r.equal()},
         {"config", config},
         {"tensors", tensors},
         {"summary", summary},
         {"notes", r.notes},
         {"selected", r.selected}};
  j["bytes"] = r.bytes ? bytes_json(*r.bytes) : json(nullptr);
  return j;
}

}  // namespace ckpt::cli
