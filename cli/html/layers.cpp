#include "layers.hpp"

#include <algorithm>

namespace ckpt::cli::html {

namespace {

std::string without_weight(std::string s) {
  const std::string suffix = ".weight";
  if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0)
    s.resize(s.size() - suffix.size());
  return s;
}

}  // namespace

LayerName split_layer_name(const std::string& name) {
  LayerName out;
  const std::string prefix = "layers.";
  if (name.rfind(prefix, 0) == 0) {
    size_t i = prefix.size(), j = i;
    while (j < name.size() && j - i < 9 && name[j] >= '0' && name[j] <= '9') ++j;
    if (j > i && j < name.size() && name[j] == '.') {
      out.layer = std::stoll(name.substr(i, j - i));
      std::string rest = without_weight(name.substr(j + 1));
      // "attention.wq" -> "wq", "feed_forward.w1" -> "w1"; "attention_norm" stays.
      const size_t dot = rest.rfind('.');
      out.kind = dot == std::string::npos ? rest : rest.substr(dot + 1);
      return out;
    }
  }
  out.kind = without_weight(name);
  return out;
}

std::vector<std::string> kind_order(const std::vector<std::string>& names) {
  static const std::vector<std::string> canonical = {"attention_norm", "wq", "wk", "wv", "wo",
                                                     "ffn_norm",       "w1", "w2", "w3"};
  std::vector<std::string> seen;
  for (const auto& n : names) {
    const LayerName l = split_layer_name(n);
    if (l.layer >= 0 && std::find(seen.begin(), seen.end(), l.kind) == seen.end()) seen.push_back(l.kind);
  }
  std::vector<std::string> out;
  for (const auto& k : canonical)
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) out.push_back(k);
  for (const auto& k : seen)
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  return out;
}

}  // namespace ckpt::cli::html
