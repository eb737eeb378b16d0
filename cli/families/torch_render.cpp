// What PyTorch inputs show beyond the common model: for a Meta folder params.json and its
// shards, then for every torch.save file its zip members (or legacy records), version
// and byteorder, pickle contents and globals.
#include <fmt/format.h>

#include "family_render.hpp"
#include "torch/torch_data.hpp"
#include "torch_file_render.hpp"

namespace ckpt::cli {

using nlohmann::json;

namespace {

// A shard's size and tensors, one line each.
std::string shards_text(const Checkpoint& cp, const torch::TorchData& d) {
  std::string out = fmt::format("\nshards ({})\n", d.files.size());
  out += fmt::format("  {:<24} {:>12} {:>8}  {}\n", "file", "bytes", "tensors", "tensor prefix");
  for (const auto& f : d.files)
    out += fmt::format("  {:<24} {:>12} {:>8}  {}\n", source_file_name(cp, f.source), cp.source(f.source).size(),
                       f.tensor_count, f.prefix);
  return out;
}

std::string params_text(const std::string& text) {
  const json p = json::parse(text, nullptr, false);
  if (!p.is_object()) return "\nparams.json: not a JSON object\n";
  std::string out = fmt::format("\nparams.json ({} keys)\n", p.size());
  for (const auto& [k, v] : p.items()) out += fmt::format("  {} = {}\n", k, v.dump());
  return out;
}

std::string torch_text(const Checkpoint& cp) {
  const torch::TorchData* d = torch::torch_data(cp);
  if (!d) return {};
  std::string out;
  if (cp.folder) {
    out += params_text(d->params_json);
    out += shards_text(cp, *d);
  }
  for (const auto& f : d->files) out += torch_file_text(cp, f, source_file_name(cp, f.source));
  return out;
}

void torch_json(const Checkpoint& cp, json& doc) {
  const torch::TorchData* d = torch::torch_data(cp);
  if (!d) return;
  json files = json::array();
  for (const auto& f : d->files) {
    json j = torch_file_json(cp, f, source_file_name(cp, f.source));
    j["size"] = cp.source(f.source).size();
    files.push_back(std::move(j));
  }
  json t{{"files", files}};
  if (cp.folder) {
    json p = json::parse(d->params_json, nullptr, false);
    t["params"] = p.is_object() ? p : json(nullptr);
  }
  doc["torch"] = std::move(t);
}

void torch_tensor(const Checkpoint& cp, const TensorInfo& t, json& tensor) {
  if (const torch::TorchData* d = torch::torch_data(cp))
    if (json x = torch_tensor_json(cp, d->files, t); !x.is_null()) tensor["torch"] = std::move(x);
}

}  // namespace

const FamilyRenderer kTorchRenderer{torch_text, torch_json, torch_tensor};

}  // namespace ckpt::cli
