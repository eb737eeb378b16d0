#include "match.hpp"

#include <map>

#include "ckpt/ttml.hpp"

namespace ckpt::diffimpl {

uint64_t View::elem_offset() const { return row_begin * cols(); }

uint64_t View::cols() const {
  if (shape.size() < 2) return numel;
  uint64_t c = 1;
  for (size_t i = 1; i < shape.size(); ++i) c *= shape[i];
  return c;
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::vector<std::string> ttml_canonical_names(const std::string& path) {
  // Optimizer state and gradients hold tensors of the same names: never weights.
  if (starts_with(path, "adamw/") || starts_with(path, "sgd/") || path.find("/grad") != std::string::npos) return {};
  // The name below the model prefix, whatever the prefix: from the block on, or the last
  // two components (tok_emb/weight, ln_fc/gamma, fc/weight). The table itself is the
  // msgpack reader's.
  std::string rest = path;
  if (const size_t block = path.find("llama_block_"); block != std::string::npos) {
    rest = path.substr(block);
  } else if (const size_t last = path.rfind('/'); last != std::string::npos && last > 0) {
    const size_t before = path.rfind('/', last - 1);
    if (before != std::string::npos) rest = path.substr(before + 1);
  }
  const std::string joined = ttml_llama_canonical(rest);
  if (joined.empty()) return {};
  const size_t plus = joined.find('+');
  if (plus == std::string::npos) return {joined};
  return {joined.substr(0, plus), joined.substr(plus + 1)};
}

bool is_layout_only(const std::string& n) { return is_rope_table(n); }

bool is_training_state(const std::string& n) {
  return starts_with(n, "adamw/") || starts_with(n, "sgd/") || n.find("/grad/") != std::string::npos ||
         ends_with(n, "/grad");
}

bool is_vocab_tensor(const std::string& n) { return n == "tok_embeddings.weight" || n == "output.weight"; }

namespace {

// tt-train stores matrices as [1, 1, rows, cols] and vectors as [1, 1, 1, n].
std::vector<uint64_t> squeeze(const std::string& name, std::vector<uint64_t> shape) {
  const size_t want = name.find("norm") != std::string::npos ? 1 : 2;
  while (shape.size() > want && shape.front() == 1) shape.erase(shape.begin());
  return shape;
}

View whole(const TensorInfo& t, const std::string& name) {
  View v;
  v.name = name;
  v.t = &t;
  if (name != t.spec.name) v.source = t.spec.name;
  v.shape = squeeze(name, t.spec.shape);
  v.numel = t.spec.numel;
  return v;
}

}  // namespace

std::vector<View> canonical_views(const Checkpoint& cp) {
  std::vector<View> out;
  for (const auto& t : cp.tensors) {
    // The reader's alt_name first ("wk+wv" for a kv_linear, as the msgpack reader joins
    // them), else our own mapping of tt-train paths, else the tensor's name.
    std::vector<std::string> names;
    if (!t.alt_name.empty()) {
      for (size_t start = 0;;) {
        const size_t plus = t.alt_name.find('+', start);
        names.push_back(t.alt_name.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
        if (plus == std::string::npos) break;
        start = plus + 1;
      }
    } else {
      names = ttml_canonical_names(t.spec.name);
    }
    if (names.empty() || names.size() > 2) names = {t.spec.name};
    if (names.size() == 1) {
      out.push_back(whole(t, names[0]));
      continue;
    }
    // kv_linear: the first half of the rows is wk, the second wv (FORMATS.md).
    View full = whole(t, names[0]);
    if (full.shape.size() != 2 || full.shape[0] % 2 != 0) {
      out.push_back(whole(t, t.spec.name));  // not splittable: stays itself, matches nothing
      continue;
    }
    const uint64_t half = full.shape[0] / 2;
    for (size_t k = 0; k < 2; ++k) {
      View v = full;
      v.name = names[k];
      v.row_begin = k * half;
      v.shape[0] = half;
      v.numel = half * full.shape[1];
      v.source = t.spec.name + " rows " + std::to_string(k * half) + ".." + std::to_string((k + 1) * half - 1);
      out.push_back(std::move(v));
    }
  }
  return out;
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

}  // namespace ckpt::diffimpl
