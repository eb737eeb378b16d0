// What tt-train files show beyond the common model. msgpack: the era, the model and
// prefix, every key with its byte range, the metadata, and per-tensor encodings.
// Flatbuffer checkpoints: the container, the metadata (schema, pairs), and per tensor its
// .tensorbin (variant, layout, padded shape, shards and how they make the tensor).
// Pickle checkpoints: the protocol, the record framing, the model, the metadata.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>

#include "family_render.hpp"
#include "ttml/fb_model.hpp"
#include "ttml/pickle_ckpt.hpp"
#include "ttml/ttml.hpp"

namespace ckpt::cli {

using nlohmann::json;
using namespace ttml;

namespace {

std::string elements_text(const TtmlEntry& e) {
  if (e.type != MsgType::array) return "";
  std::string s;
  auto add = [&](uint64_t n, std::string_view what) {
    if (n) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, what);
  };
  add(e.n_int, "int");
  add(e.n_f32, "float32");
  add(e.n_f64, "float64");
  add(e.n_other, "other");
  return s;
}

json opt_int(int64_t v) { return v >= 0 ? json(v) : json(nullptr); }

std::string llama_line(const Checkpoint& cp) {
  auto l = llama_shape(cp);
  if (!l) return {};
  return fmt::format(
      "  llama: dim {}, hidden_dim {}, n_layers {}, vocabulary rows {} (padded to a multiple of 32), "
      "kv_dim {} (n_kv_heads = kv_dim / (dim / n_heads)), classifier {}; not stored: n_heads, seq_len\n",
      l->dim, l->hidden_dim, l->n_layers, l->vocab_rows, l->kv_rows / 2,
      l->shared_classifier ? "shared (no fc/weight)" : "fc/weight");
}

std::string layout_text(const TensorbinHeader& h) {
  if (!h.geometry) return "?";
  return h.geometry->tile ? "TILE" : "ROW_MAJOR";
}

std::string fb_text(const Checkpoint& cp, const FbInfo& info) {
  std::string out;
  auto line = [&](std::string s) { out += s + "\n"; };
  line(fmt::format("\ntt-train flatbuffer checkpoint ({})", fb_container_name(info.container)));
  if (!info.metadata_name.empty())
    line(fmt::format("  metadata {} ({} bytes at {}), {}: {}; {} pairs", info.metadata_name, info.metadata_size,
                     info.metadata_offset, meta_schema_name(info.metadata.schema), info.metadata.schema_reason,
                     info.metadata.pairs.size()));
  if (info.container != FbContainer::tensorbin) {
    line(fmt::format("  model {}, prefix \"{}\"", info.model.empty() ? "not recognised" : info.model, info.prefix));
    out += llama_line(cp);
  }
  if (info.container == FbContainer::tar)
    line(fmt::format("  archive: {} members, {}", info.tar.members.size(),
                     info.tar.end_marker ? "closed by zero blocks" : "no end marker"));
  if (!info.orphans.empty()) line(fmt::format("  files no key names: {}", fmt::join(info.orphans, ", ")));
  line(fmt::format("\ntensor files ({})", info.tensors.size()));
  line(fmt::format("  {:<10} {:<9} {:>8} {:<22} {:<26}  {}", "layout", "dtype", "header", "padded shape", "variant",
                   "file (shards)"));
  for (size_t i = 0; i < info.tensors.size(); ++i) {
    const FbTensor& x = info.tensors[i];
    const TensorbinHeader& h = x.header;
    if (!x.present) {
      line(fmt::format("  {:<10} {:<9} {:>8} {:<22} {:<26}  {} (missing)", "-", "-", "-", "-", "-", x.file));
      continue;
    }
    const std::string padded = h.geometry ? fmt::format("({})", fmt::join(h.geometry->padded, ", ")) : "?";
    line(fmt::format("  {:<10} {:<9} {:>8} {:<22} {:<26}  {} ({})", layout_text(h), tt_dtype_name(h.data_type),
                     h.header_size, padded, tensorbin_variant(h), x.file, x.grid.how.empty() ? "-" : x.grid.how));
  }
  if (!cp.metadata.empty()) {
    line(fmt::format("\nmetadata ({})", cp.metadata.size()));
    for (const auto& m : cp.metadata) line(fmt::format("  {} = {} [{}, byte {}]", m.key, m.value, m.type, m.offset));
  }
  return out;
}

std::string pickle_text(const Checkpoint& cp, const PickleInfo& info) {
  std::string out;
  auto line = [&](std::string s) { out += s + "\n"; };
  const bool stream = cp.format == pickle_stream;
  line(fmt::format("\ntt-train pickle checkpoint ({})", stream ? "ttml/checkpointing.py stream" : "train_nanogpt.py"));
  if (stream)
    line(
        fmt::format("  pickle protocol {}, format version {}; record 0 (header, manifest) ends at byte {}, {} array "
                    "records end at byte {}",
                    info.protocol, info.format_version, info.header_end, info.records.size(), info.records_end));
  else
    line(fmt::format("  pickle protocol {}, one pickle ending at byte {}; {} model_state arrays", info.protocol,
                     info.records_end, info.records.size()));
  line(fmt::format("  model {}, prefix \"{}\"", info.model.empty() ? "not recognised" : info.model, info.prefix));
  out += llama_line(cp);
  line(
      "  read without importing or calling anything: every global the pickles name is in the findings unless it is "
      "numpy's array reconstruction");
  if (!cp.metadata.empty()) {
    line(fmt::format("\nmetadata ({})", cp.metadata.size()));
    for (const auto& m : cp.metadata) line(fmt::format("  {} = {} [{}, byte {}]", m.key, m.value, m.type, m.offset));
  }
  return out;
}

std::string ttml_text(const Checkpoint& cp) {
  if (const FbInfo* fb = fb_info_of(cp)) return fb_text(cp, *fb);
  if (const PickleInfo* pk = pickle_info_of(cp)) return pickle_text(cp, *pk);
  const TtmlInfo* found = info_of(cp);
  if (!found) return {};
  const TtmlInfo& info = *found;
  std::string out;
  auto line = [&](std::string s) { out += s + "\n"; };
  line("\nmsgpack");
  line(fmt::format("  era {} ({})", ttml_era_name(info.era), info.era_reason));
  line(fmt::format("  model {}, prefix \"{}\"", info.model.empty() ? "not recognised" : info.model, info.prefix));
  if (auto l = llama_shape(cp))
    line(
        fmt::format("  llama: dim {}, hidden_dim {}, n_layers {}, vocabulary rows {} (padded to a multiple of 32), "
                    "kv_dim {} (n_kv_heads = kv_dim / (dim / n_heads)), classifier {}; not stored: n_heads, seq_len",
                    l->dim, l->hidden_dim, l->n_layers, l->vocab_rows, l->kv_rows / 2,
                    l->shared_classifier ? "shared (no fc/weight)" : "fc/weight"));
  line(fmt::format("  map declares {} entries, {} read, {} tensors, {} metadata keys", info.map_count,
                   info.entries.size(), cp.tensors.size(), cp.metadata.size()));
  line(fmt::format("\nkeys ({})", info.entries.size()));
  line(fmt::format("  {:>12} {:>12} {:>7} {:<8} {:>10}  {}", "offset", "end", "variant", "type", "count", "key"));
  for (const auto& e : info.entries) {
    std::string extra = elements_text(e);
    if (e.numpy) extra = "numpy " + e.numpy_type;
    if (e.shadowed) extra += extra.empty() ? "shadowed by a later duplicate" : "; shadowed by a later duplicate";
    if (!e.complete) extra += extra.empty() ? "incomplete" : "; incomplete";
    line(fmt::format("  {:>12} {:>12} {:>7} {:<8} {:>10}  {}{}", e.key_offset, e.end,
                     e.variant >= 0 ? std::to_string(e.variant) : "-", msg_type_name(e.type), e.count, e.key,
                     extra.empty() ? "" : " (" + extra + ")"));
  }
  if (!cp.metadata.empty()) {
    line(fmt::format("\nmetadata ({})", cp.metadata.size()));
    for (const auto& m : cp.metadata)
      line(fmt::format("  {} = {} [variant {}, {}, byte {}]", m.key, m.value,
                       m.variant >= 0 ? std::to_string(m.variant) : "-", m.type, m.offset));
  }
  return out;
}

json ttml_json(const Checkpoint& cp) {
  const TtmlInfo* found = info_of(cp);
  if (!found) return nullptr;
  const TtmlInfo& info = *found;
  json keys = json::array();
  for (const auto& e : info.entries) {
    json k{{"key", e.key},
           {"variant", e.variant >= 0 ? json(e.variant) : json(nullptr)},
           {"type", msg_type_name(e.type)},
           {"key_offset", e.key_offset},
           {"value_offset", e.value_offset},
           {"payload_offset", e.payload_offset},
           {"end", e.end},
           {"count", e.count},
           {"complete", e.complete},
           {"shadowed", e.shadowed},
           {"value", e.preview}};
    if (e.type == MsgType::array)
      k["elements"] = {{"int", e.n_int}, {"float32", e.n_f32}, {"float64", e.n_f64}, {"other", e.n_other}};
    if (e.numpy)
      k["numpy"] = {{"type", e.numpy_type},
                    {"shape", e.numpy_shape},
                    {"data_offset", e.numpy_data_offset},
                    {"data_bytes", e.numpy_data_bytes}};
    keys.push_back(std::move(k));
  }
  json llama = nullptr;
  if (auto l = llama_shape(cp))
    llama = {{"dim", l->dim},
             {"hidden_dim", l->hidden_dim},
             {"n_layers", l->n_layers},
             {"vocab_rows", l->vocab_rows},
             {"kv_dim", l->kv_rows / 2},
             {"shared_classifier", l->shared_classifier}};
  return json{{"era", ttml_era_name(info.era)},
              {"llama", llama},
              {"era_reason", info.era_reason},
              {"model", info.model.empty() ? json(nullptr) : json(info.model)},
              {"prefix", info.prefix},
              {"map_count", info.map_count},
              {"keys", keys}};
}

json metadata_json(const Checkpoint& cp) {
  json out = json::array();
  for (const auto& m : cp.metadata)
    out.push_back({{"key", m.key},
                   {"variant", m.variant >= 0 ? json(m.variant) : json(nullptr)},
                   {"type", m.type},
                   {"value", m.value},
                   {"offset", m.offset},
                   {"nbytes", m.nbytes}});
  return out;
}

json ttml_tensor_json(const Checkpoint& cp, const TensorInfo& t) {
  const TtmlInfo* info = info_of(cp);
  const TtmlTensor* x = info ? info->find_tensor(t.spec.name) : nullptr;
  if (!x) return nullptr;
  json j{{"encoding", x->encoding == TtmlTensor::Encoding::raw ? "numpy" : "msgpack-array"},
         {"key", info->entries[x->entry].key},
         {"elements_offset", x->elements_offset},
         {"elements_present", x->elements_present},
         {"data_type", opt_int(x->data_type)},
         {"layout", opt_int(x->layout)},
         {"storage_type", opt_int(x->storage_type)},
         {"requires_grads", x->requires_grads ? json(*x->requires_grads) : json(nullptr)},
         {"has_grads", x->has_grads ? json(*x->has_grads) : json(nullptr)}};
  if (x->encoding == TtmlTensor::Encoding::raw) j["element_type"] = x->element_type;
  return j;
}

json fb_json(const Checkpoint& cp, const FbInfo& info) {
  json pairs = json::array();
  for (const auto& p : info.metadata.pairs)
    pairs.push_back({{"key", p.key},
                     {"type", meta_kind_name(p.kind)},
                     {"code", p.code},
                     {"offset", p.offset},
                     {"value_offset", p.value_offset},
                     {"value", p.preview},
                     {"shadowed", p.shadowed}});
  json llama = nullptr;
  if (auto l = llama_shape(cp))
    llama = {{"dim", l->dim},
             {"hidden_dim", l->hidden_dim},
             {"n_layers", l->n_layers},
             {"vocab_rows", l->vocab_rows},
             {"kv_dim", l->kv_rows / 2},
             {"shared_classifier", l->shared_classifier}};
  json j{{"container", fb_container_name(info.container)},
         {"model", info.model.empty() ? json(nullptr) : json(info.model)},
         {"prefix", info.prefix},
         {"llama", llama},
         {"orphans", info.orphans},
         {"metadata",
          {{"name", info.metadata_name},
           {"offset", info.metadata_offset},
           {"size", info.metadata_size},
           {"schema", meta_schema_name(info.metadata.schema)},
           {"schema_reason", info.metadata.schema_reason},
           {"verified", info.metadata.verified},
           {"pairs", pairs}}}};
  if (info.container == FbContainer::tar) {
    json members = json::array();
    for (const auto& m : info.tar.members)
      members.push_back({{"name", m.name},
                         {"type", std::string(1, m.type ? m.type : '0')},
                         {"header_offset", m.header_offset},
                         {"data_offset", m.data_offset},
                         {"size", m.size},
                         {"complete", m.complete}});
    j["tar"] = {{"members", members}, {"end", info.tar.end}, {"end_marker", info.tar.end_marker}};
  }
  return j;
}

json fb_tensor_json(const FbTensor& x) {
  const TensorbinHeader& h = x.header;
  json shards = json::array();
  for (const auto& s : h.shards)
    shards.push_back(
        {{"offset", s.offset}, {"size", s.size}, {"mesh_coordinate", s.coord}, {"record_offset", s.record_offset}});
  json meta{{"shape", x.meta_shape ? json(*x.meta_shape) : json(nullptr)},
            {"data_type", opt_int(x.meta_data_type)},
            {"layout", opt_int(x.meta_layout)},
            {"storage_type", opt_int(x.meta_storage)},
            {"requires_grads", x.requires_grads ? json(*x.requires_grads) : json(nullptr)},
            {"has_grads", x.has_grads ? json(*x.has_grads) : json(nullptr)}};
  json j{{"file", x.file}, {"key", x.key}, {"present", x.present}, {"metadata", meta}};
  if (!x.present) return j;
  j["base"] = h.base;
  j["header_size"] = h.header_size;
  j["data_start"] = h.data_start;
  j["variant"] = tensorbin_variant(h);
  j["schema_version"] = h.schema_version;
  j["identifier"] = h.identifier;
  j["data_type"] = tt_dtype_name(h.data_type);
  j["layout"] = layout_text(h);
  j["padded_shape"] = h.geometry ? json(h.geometry->padded) : json(nullptr);
  j["mesh_shape"] = h.mesh_shape;
  j["shards"] = shards;
  j["grid"] = {{"how", x.grid.how}, {"blocks", x.grid.blocks}, {"complete", x.grid.complete}};
  return j;
}

json pickle_json(const Checkpoint& cp, const PickleInfo& info) {
  json llama = nullptr;
  if (auto l = llama_shape(cp))
    llama = {{"dim", l->dim},
             {"hidden_dim", l->hidden_dim},
             {"n_layers", l->n_layers},
             {"vocab_rows", l->vocab_rows},
             {"kv_dim", l->kv_rows / 2},
             {"shared_classifier", l->shared_classifier}};
  return json{{"protocol", info.protocol},
              {"format_version", info.format_version >= 0 ? json(info.format_version) : json(nullptr)},
              {"header_end", info.header_end},
              {"records_end", info.records_end},
              {"model", info.model.empty() ? json(nullptr) : json(info.model)},
              {"prefix", info.prefix},
              {"llama", llama}};
}

void add_ttml_json(const Checkpoint& cp, json& doc) {
  if (const PickleInfo* pk = pickle_info_of(cp)) {
    doc["pickle"] = pickle_json(cp, *pk);
    doc["metadata"] = metadata_json(cp);
    return;
  }
  if (const FbInfo* fb = fb_info_of(cp)) {
    doc["flatbuffer"] = fb_json(cp, *fb);
    doc["metadata"] = metadata_json(cp);
    return;
  }
  if (!info_of(cp)) return;
  doc["msgpack"] = ttml_json(cp);
  doc["metadata"] = metadata_json(cp);
}

void add_ttml_tensor_json(const Checkpoint& cp, const TensorInfo& t, json& tensor) {
  if (const PickleInfo* pk = pickle_info_of(cp)) {
    // One record per tensor, in the same order (pickle_ckpt.cpp appends them together).
    const std::less<const TensorInfo*> before;
    if (cp.tensors.empty() || before(&t, cp.tensors.data()) || !before(&t, cp.tensors.data() + cp.tensors.size()))
      return;
    const size_t i = size_t(&t - cp.tensors.data());
    if (i >= pk->records.size() || pk->records[i].name != t.spec.name) return;
    const PickleRecord& r = pk->records[i];
    tensor["pickle"] = {{"record_offset", r.record_offset},
                        {"record_end", r.record_end},
                        {"manifest_dtype", r.manifest_dtype},
                        {"layout", r.layout},
                        {"array_dtype", r.array_dtype}};
    return;
  }
  if (const FbInfo* fb = fb_info_of(cp)) {
    if (const FbTensor* x = fb->tensor_of(cp, t)) tensor["tensorbin"] = fb_tensor_json(*x);
    return;
  }
  if (json x = ttml_tensor_json(cp, t); !x.is_null()) tensor["msgpack"] = std::move(x);
}

}  // namespace

const FamilyRenderer kTtmlRenderer{ttml_text, add_ttml_json, add_ttml_tensor_json};

}  // namespace ckpt::cli
