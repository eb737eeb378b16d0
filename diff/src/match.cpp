#include "match.hpp"

#include <map>

namespace ckpt::diffing {

bool is_layout_only(const std::string& n) { return is_rope_table(n); }

bool is_training_state(const std::string& n) {
  return n.starts_with("adamw/") || n.starts_with("sgd/") || n.find("/grad/") != std::string::npos ||
         n.ends_with("/grad");
}

std::vector<MatchedPair> match_views(const std::vector<View>& a, const std::vector<View>& b) {
  std::map<std::string, const View*> in_b;
  for (const auto& v : b) in_b.emplace(v.name, &v);  // first wins, as in the file order
  std::map<std::string, bool> used;
  std::vector<MatchedPair> out;
  for (const auto& v : a) {
    if (used.count(v.name)) continue;  // a duplicated name in A: keep the first
    used[v.name] = true;
    auto it = in_b.find(v.name);
    out.push_back({v.name, &v, it == in_b.end() ? nullptr : it->second});
  }
  for (const auto& v : b)
    if (!used.count(v.name)) {
      used[v.name] = true;
      out.push_back({v.name, nullptr, &v});
    }
  return out;
}

}  // namespace ckpt::diffing
