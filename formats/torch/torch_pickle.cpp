#include "torch_pickle.hpp"

#include <algorithm>
#include <charconv>

#include "pickle_text.hpp"
#include "torch_tensor.hpp"

namespace ckpt::torch {

namespace {

std::string format_float(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : "nan";
}

// The walk over the object tree: depth-capped recursion (so at most max_depth frames),
// an ancestor list against cycles, and a visit budget against exponentially shared DAGs.
class Walker {
 public:
  Walker(const PickleGraph& g, const TorchWalkLimits& limits, TorchModel& out)
      : g_(g), lim_(limits), out_(out), tensors_(g, limits, out) {}

  uint64_t walk(uint32_t obj, const std::string& path, uint32_t depth);
  void register_storages() { tensors_.register_storages(); }
  std::string kind_of(uint32_t obj) const;

 private:
  uint64_t walk_children(uint32_t obj, const std::string& path, uint32_t depth);
  uint64_t child(uint32_t obj, const std::string& path, uint32_t depth);
  std::string key_text(uint32_t key) const;
  std::string scalar_value(uint32_t obj) const;
  bool too_far(uint32_t obj, const std::string& path, uint32_t depth);

  const PickleGraph& g_;
  const TorchWalkLimits& lim_;
  TorchModel& out_;
  TensorParser tensors_;
  std::vector<uint32_t> ancestors_;
  uint64_t visits_ = 0;
  bool reported_depth_ = false;
};

std::string Walker::kind_of(uint32_t obj) const {
  const PyObj& o = g_.at(obj);
  if (o.kind == PyKind::reduce || o.kind == PyKind::newobj) {
    RebuildKind rk = rebuild_kind(g_, obj);
    if (rk != RebuildKind::none) return "tensor";
    std::string callable = g_.global_name(o.callable);
    if (callable == "collections.OrderedDict") return "OrderedDict";
    return "object:" + (callable.empty() ? std::string("?") : callable);
  }
  if (o.kind == PyKind::none) return "None";
  return std::string(kind_name(o.kind));
}

std::string Walker::key_text(uint32_t key) const {
  const PyObj& k = g_.at(key);
  if (k.kind == PyKind::str) return k.text;
  if (k.kind == PyKind::integer) return std::to_string(k.i);
  std::string s(1, '<');
  s += kind_name(k.kind);
  return s + ">";
}

std::string Walker::scalar_value(uint32_t obj) const {
  const PyObj& o = g_.at(obj);
  switch (o.kind) {
    case PyKind::none:
      return "None";
    case PyKind::boolean:
      return o.i ? "True" : "False";
    case PyKind::integer:
      return std::to_string(o.i);
    case PyKind::floating:
      return format_float(o.f);
    case PyKind::str:
      return py_repr(o.text, 80);
    default:
      return {};
  }
}

bool Walker::too_far(uint32_t obj, const std::string& path, uint32_t depth) {
  if (++visits_ > lim_.max_visits || depth > lim_.max_depth) {
    if (!reported_depth_)
      out_.findings.push_back(make_finding(rules::torch_tree_too_deep,
                                           "object tree deeper than " + std::to_string(lim_.max_depth) +
                                               " or more than " + std::to_string(lim_.max_visits) + " visits",
                                           g_.at(obj).offset, path));
    reported_depth_ = true;
    return true;
  }
  return std::find(ancestors_.begin(), ancestors_.end(), obj) != ancestors_.end();  // a cycle
}

// Returns the number of tensors at or below obj.
uint64_t Walker::walk(uint32_t obj, const std::string& path, uint32_t depth) {
  if (too_far(obj, path, depth)) return 0;
  bool entry = depth >= 1 && depth <= lim_.tree_depth && out_.tree.size() < lim_.max_tree_entries;
  size_t entry_at = out_.tree.size();
  if (entry) out_.tree.push_back(TreeEntry{path, kind_of(obj), scalar_value(obj), 0, 0});
  uint64_t found = 0;
  RebuildKind rk = rebuild_kind(g_, obj);
  if (rk != RebuildKind::none) {
    found = tensors_.parse(obj, path) ? 1 : 0;
    if (entry && found) {
      const TorchTensor& t = out_.tensors.back();
      std::string v(dtype_name(t.dtype));
      v += '[';
      for (size_t k = 0; k < t.shape.size(); ++k) {
        if (k) v += ',';
        v += std::to_string(t.shape[k]);
      }
      out_.tree[entry_at].value = v + "]";
    }
  } else {
    ancestors_.push_back(obj);
    found = walk_children(obj, path, depth);
    ancestors_.pop_back();
  }
  if (entry) {
    const PyObj& o = g_.at(obj);
    out_.tree[entry_at].count = o.items.size() + o.pairs.size() / 2;
    out_.tree[entry_at].tensors = found;
  }
  return found;
}

uint64_t Walker::child(uint32_t obj, const std::string& path, uint32_t depth) { return walk(obj, path, depth + 1); }

// Dict pairs (and what SETITEMS put into an OrderedDict) give key paths; list and tuple
// elements their index; BUILD state (an object's __dict__) is walked under the same path.
uint64_t Walker::walk_children(uint32_t obj, const std::string& path, uint32_t depth) {
  const PyObj& o = g_.at(obj);
  std::string prefix = path.empty() ? path : path + "/";
  uint64_t found = 0;
  for (size_t k = 0; k + 1 < o.pairs.size(); k += 2)
    found += child(o.pairs[k + 1], prefix + key_text(o.pairs[k]), depth);
  bool sequence =
      o.kind == PyKind::list || o.kind == PyKind::tuple || o.kind == PyKind::reduce || o.kind == PyKind::newobj;
  if (sequence)
    for (size_t k = 0; k < o.items.size(); ++k) found += child(o.items[k], prefix + std::to_string(k), depth);
  // BUILD state (an object's __dict__, an OrderedDict's attributes) belongs to the same
  // node: its entries continue the path. Each state level counts as one level of depth.
  if (g_.valid(o.state) && depth < lim_.max_depth &&
      std::find(ancestors_.begin(), ancestors_.end(), o.state) == ancestors_.end()) {
    ancestors_.push_back(o.state);
    found += walk_children(o.state, path, depth + 1);
    ancestors_.pop_back();
  }
  return found;
}

}  // namespace

TorchModel interpret_torch_pickle(const PickleResult& pickle, const TorchWalkLimits& limits) {
  TorchModel m;
  Walker w(pickle.graph, limits, m);
  w.register_storages();  // also from a pickle cut short: its storages are still known
  if (!pickle.graph.valid(pickle.root)) return m;
  m.root_kind = w.kind_of(pickle.root);
  w.walk(pickle.root, "", 0);
  return m;
}

}  // namespace ckpt::torch
