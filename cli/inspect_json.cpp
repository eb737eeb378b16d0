#include "inspect_json.hpp"

#include <cmath>

#include "ckpt/views.hpp"
#include "families/family_render.hpp"

namespace ckpt::cli {

using nlohmann::json;

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json histogram_json(const Histogram& h) {
  json bins = json::array();
  for (const auto& b : h.bins) bins.push_back({b.lo, b.hi, b.count});
  return bins;
}

json finding_json(const Finding& f) {
  return json{{"rule", f.rule},
              {"severity", severity_name(f.severity)},
              {"message", f.message},
              {"offset", f.offset ? json(*f.offset) : json(nullptr)},
              {"subject", f.subject.empty() ? json(nullptr) : json(f.subject)}};
}

json config_json(const ModelConfig& c) {
  return json{{"dim", c.dim},
              {"hidden_dim", c.hidden_dim},
              {"n_layers", c.n_layers},
              {"n_heads", c.n_heads},
              {"n_kv_heads", c.n_kv_heads},
              {"vocab_size", c.vocab_size},
              {"seq_len", c.seq_len},
              {"shared_classifier", c.shared_classifier},
              {"group_size", c.group_size > 0 ? json(c.group_size) : json(nullptr)},
              {"head_size", c.head_size()},
              {"kv_dim", c.kv_dim()}};
}

namespace {

json stats_json(const TensorStats& s, bool histograms) {
  const bool any = s.finite > 0;
  json j{{"count", s.count},
         {"min", any ? number_or_null(s.min) : json(nullptr)},
         {"max", any ? number_or_null(s.max) : json(nullptr)},
         {"mean", any ? number_or_null(s.mean) : json(nullptr)},
         {"std", any ? number_or_null(s.std) : json(nullptr)},
         {"absmax", any ? number_or_null(s.absmax) : json(nullptr)},
         {"nan", s.nan},
         {"inf", s.inf},
         {"zeros", s.zeros},
         {"partial", s.partial}};
  if (s.q_min) {
    j["int8_min"] = *s.q_min;
    j["int8_max"] = *s.q_max;
    j["scale_min"] = number_or_null(*s.scale_min);
    j["scale_max"] = number_or_null(*s.scale_max);
  }
  if (histograms && s.histogram) j["histogram"] = histogram_json(*s.histogram);
  if (histograms && s.scale_histogram) j["scale_histogram"] = histogram_json(*s.scale_histogram);
  return j;
}

json tensor_json(const Checkpoint& cp, const TensorInfo& t, const std::string& canonical,
                 const std::optional<TensorStats>* stats, bool histograms) {
  json j{{"name", t.spec.name},
         {"dtype", dtype_name(t.spec.dtype)},
         {"shape", t.spec.shape},
         {"numel", t.spec.numel},
         {"offset", t.place.offset},
         {"nbytes", t.place.nbytes},
         {"alignment", alignment_of(t.place.offset)},
         {"status", tensor_status_name(t.status)},
         {"available_bytes", t.data_available + t.scale_available}};
  if (!canonical.empty()) j["alt_name"] = canonical;
  if (const FamilyRenderer* f = renderer_for(cp); f && f->tensor_json) f->tensor_json(cp, t, j);
  if (t.spec.dtype == DType::q8_0) {
    j["scale_offset"] = t.place.scale_offset;
    j["scale_nbytes"] = t.place.scale_nbytes;
    j["scale_alignment"] = alignment_of(t.place.scale_offset);
  }
  j["truncated_at"] = t.truncated_at ? json(*t.truncated_at) : json(nullptr);
  if (stats) j["stats"] = *stats && stats->has_value() ? stats_json(**stats, histograms) : json(nullptr);
  return j;
}

json location_json(const InspectReport& r) {
  const Location& l = *r.at;
  json j{{"offset", l.offset}, {"kind", region_kind_name(l.kind)}, {"beyond_file", l.beyond_file}};
  if (l.kind == RegionKind::header_field) j["field"] = l.field;
  if (l.kind == RegionKind::container) {
    j["structure"] = l.field;
    j["part"] = l.part;
  }
  if (l.kind == RegionKind::msgpack_entry) {
    j["key"] = l.field;
    j["part"] = l.part;
  }
  if (l.kind == RegionKind::tensor_data || l.kind == RegionKind::tensor_scale) {
    j["tensor"] = l.tensor;
    j["part"] = l.part;
    j["element"] = l.element;
    j["index"] = l.index;
    if (l.part == "int8" || l.part == "scale") j["group"] = l.group;
    if (!l.field.empty()) j["within"] = l.field;
    json shared = json::array();
    for (const auto& [name, element] : l.shared_with) shared.push_back({{"tensor", name}, {"element", element}});
    if (!l.shared_with.empty()) j["shared_with"] = shared;
  }
  if (!l.file.empty()) j["file"] = l.file;
  if (l.region_length) {
    j["region_start"] = l.region_start;
    j["region_length"] = l.region_length;
    j["byte_in_region"] = l.offset - l.region_start;
  }
  j["value"] = l.value ? number_or_null(*l.value) : json(nullptr);
  return j;
}

}  // namespace

json inspect_json(const InspectReport& r, bool histograms) {
  const Checkpoint& cp = r.cp;
  json j{{"schema", "ckpt.inspect/1"},
         {"file", cp.path},
         {"format", format_name(cp.format)},
         {"detection", cp.detection},
         {"file_size", cp.file_size},
         {"expected_size", cp.expected_size ? json(*cp.expected_size) : json(nullptr)},
         {"trailing_bytes", cp.trailing_bytes}};
  json header = json::array();
  for (const auto& h : cp.header)
    header.push_back({{"name", h.name}, {"offset", h.offset}, {"size", h.size}, {"value", h.value}});
  j["header"] = header;
  j["config"] = cp.config ? config_json(*cp.config) : json(nullptr);
  j["parameters"] = r.parameters;
  if (cp.tokenizer) {
    const auto& t = *cp.tokenizer;
    j["tokenizer"] = {{"variant", t.has_scores ? "scores" : "lengths-only"},
                      {"max_token_length", t.has_scores ? json(t.max_token_length) : json(nullptr)},
                      {"n_tokens", t.n_tokens},
                      {"longest_token", t.longest_token},
                      {"parsed_bytes", t.parsed_bytes},
                      {"first_bad_offset", t.first_bad_offset ? json(*t.first_bad_offset) : json(nullptr)}};
  }
  json tensors = json::array();
  const auto views = canonical_views(cp);
  for (size_t i = 0; i < cp.tensors.size(); ++i)
    tensors.push_back(tensor_json(cp, cp.tensors[i], canonical_names_of(views, i, cp.tensors[i].spec.name),
                                  r.stats.empty() ? nullptr : &r.stats[i], histograms));
  j["tensors"] = tensors;
  if (const FamilyRenderer* f = renderer_for(cp); f && f->json) f->json(cp, j);
  json findings = json::array();
  for (const auto& f : cp.findings) findings.push_back(finding_json(f));
  j["findings"] = findings;
  if (r.at) j["at"] = location_json(r);
  if (r.values) {
    json vals = json::array();
    for (size_t i = 0; i < r.values->values.size(); ++i)
      vals.push_back({{"index", unravel(i, r.values->shape)}, {"value", number_or_null(r.values->values[i])}});
    j["values"] = {{"tensor", r.values->tensor}, {"shape", r.values->shape}, {"values", vals}};
  }
  return j;
}

}  // namespace ckpt::cli
