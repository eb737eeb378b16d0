#include "torch_tensor.hpp"

#include "ckpt/checked.hpp"
#include "pickle_text.hpp"

namespace ckpt::torch {

uint64_t TorchStorage::nbytes() const {
  CheckedU64 n = CheckedU64(numel) * CheckedU64(dtype_size(dtype));
  return n.ok() ? n.value() : UINT64_MAX;
}

uint64_t TorchTensor::numel() const {
  CheckedU64 n = 1;
  for (uint64_t d : shape) n *= d;
  return n.ok() ? n.value() : UINT64_MAX;
}

bool TorchTensor::contiguous() const {
  uint64_t expected = 1;
  for (size_t k = shape.size(); k > 0; --k) {
    if (shape[k - 1] != 1 && stride[k - 1] != expected) return false;
    expected *= shape[k - 1];
  }
  return true;
}

const TorchStorage* TorchModel::storage(const std::string& key) const {
  for (const auto& s : storages)
    if (s.key == key) return &s;
  return nullptr;
}

RebuildKind callable_kind(const PickleGraph& g, uint32_t callable) {
  if (!g.valid(callable) || g.at(callable).kind != PyKind::global) return RebuildKind::none;
  const PyObj& c = g.at(callable);
  std::string_view m = c.module(), n = c.name();
  if (m == "torch._utils") {
    if (n == "_rebuild_tensor_v2" || n == "_rebuild_tensor") return RebuildKind::tensor;
    if (n == "_rebuild_tensor_v3") return RebuildKind::tensor_v3;
    if (n == "_rebuild_parameter" || n == "_rebuild_parameter_with_state") return RebuildKind::parameter;
    if (n.substr(0, 9) == "_rebuild_") return RebuildKind::other_torch;
  }
  if (m == "torch.nn.parameter" && n == "Parameter") return RebuildKind::parameter;
  if (m == "torch._tensor" && n == "_rebuild_from_type_v2") return RebuildKind::from_type;
  return RebuildKind::none;
}

RebuildKind rebuild_kind(const PickleGraph& g, uint32_t obj) {
  if (!g.valid(obj)) return RebuildKind::none;
  const PyObj& o = g.at(obj);
  if (o.kind != PyKind::reduce && o.kind != PyKind::newobj) return RebuildKind::none;
  return callable_kind(g, o.callable);
}

void TensorParser::bad(const RuleDef& rule, const std::string& msg, uint64_t at, const std::string& path) {
  out_.findings.push_back(make_finding(rule, msg, at, path));
}

bool TensorParser::int_tuple(uint32_t obj, std::vector<uint64_t>& out) {
  if (!g_.valid(obj)) return false;
  const PyObj& o = g_.at(obj);
  // torch.Size pickles as a plain tuple; a reduce of torch.Size((..)) is accepted too.
  if (o.kind == PyKind::reduce && g_.global_name(o.callable) == "torch.Size") {
    const auto& a = g_.elements(o.args);
    return a.size() == 1 && int_tuple(a[0], out);
  }
  if (o.kind != PyKind::tuple && o.kind != PyKind::list) return false;
  if (o.items.size() > lim_.max_rank) return false;
  out.clear();
  for (uint32_t i : o.items) {
    int64_t v;
    if (!g_.integer(i, v) || v < 0) return false;
    out.push_back(uint64_t(v));
  }
  return true;
}

bool TensorParser::parse(uint32_t obj, const std::string& path) {
  auto t = parse_rebuild(obj, path, 0);
  if (!t) return false;
  check_extent(*t, path);
  out_.tensors.push_back(std::move(*t));
  return true;
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])
// _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, hooks, dtype[, metadata])
// _rebuild_parameter(tensor, requires_grad, hooks[, state]); nn.Parameter(tensor, requires_grad)
// _rebuild_from_type_v2(func, type, args, state): func(*args), for tensor subclasses
std::optional<TorchTensor> TensorParser::parse_rebuild(uint32_t call, const std::string& path, int depth) {
  const PyObj& o = g_.at(call);
  return parse_call(o.callable, o.args, o.offset, path, depth);
}

std::optional<TorchTensor> TensorParser::parse_call(uint32_t callable, uint32_t args_obj, uint64_t at,
                                                    const std::string& path, int depth) {
  const auto& args = g_.elements(args_obj);
  RebuildKind kind = callable_kind(g_, callable);
  if (depth > 4) return std::nullopt;  // wrappers of wrappers: no genuine file nests this deep
  if (kind == RebuildKind::from_type) {
    if (args.size() < 3 || !g_.valid(args[2]) || g_.at(args[2]).kind != PyKind::tuple) {
      bad(rules::torch_bad_tensor, "_rebuild_from_type_v2 without (func, type, args)", at, path);
      return std::nullopt;
    }
    return parse_call(args[0], args[2], at, path, depth + 1);
  }
  if (kind == RebuildKind::parameter) {
    RebuildKind ik = args.empty() ? RebuildKind::none : rebuild_kind(g_, args[0]);
    if (ik == RebuildKind::none || ik == RebuildKind::other_torch) {
      bad(rules::torch_bad_tensor, g_.global_name(callable) + " of something that is no tensor", at, path);
      return std::nullopt;
    }
    auto t = parse_rebuild(args[0], path, depth + 1);
    if (!t) return std::nullopt;
    t->parameter = true;
    int64_t rg = 0;
    if (args.size() > 1 && g_.integer(args[1], rg)) t->requires_grad = rg != 0;
    return t;
  }
  if (kind == RebuildKind::other_torch) {
    bad(rules::torch_unknown_rebuild, g_.global_name(callable) + " is not interpreted", at, path);
    return std::nullopt;
  }
  if (kind != RebuildKind::tensor && kind != RebuildKind::tensor_v3) return std::nullopt;
  size_t need = kind == RebuildKind::tensor_v3 ? 7 : 4;
  TorchTensor t;
  t.path = path;
  t.offset = at;
  int64_t offset = 0;
  if (args.size() < need || !g_.integer(args[1], offset) || offset < 0 || !int_tuple(args[2], t.shape) ||
      !int_tuple(args[3], t.stride) || t.shape.size() != t.stride.size()) {
    bad(rules::torch_bad_tensor,
        g_.global_name(callable) +
            " arguments are not (storage, offset, size, stride, ...) of one rank <= " + std::to_string(lim_.max_rank),
        at, path);
    return std::nullopt;
  }
  t.storage_offset = uint64_t(offset);
  int64_t rg = 0;
  if (args.size() > 4 && g_.integer(args[4], rg)) t.requires_grad = rg != 0;
  std::optional<TorchDType> dtype;
  if (kind == RebuildKind::tensor_v3) {
    const PyObj& d = g_.at(args[6]);
    dtype = d.kind == PyKind::global ? dtype_from_torch_name(d.module(), d.name()) : TorchDType::unknown;
  }
  if (!parse_storage(args[0], at, path, t, dtype)) return std::nullopt;
  return t;
}

// persistent_load(('storage', storage_type, key, location, numel[, view_metadata])).
// Every persistent id of the graph is registered, also those no tensor uses (a storage
// saved on its own), so that the legacy reader knows every record's element size.
void TensorParser::register_storages() {
  for (uint32_t i = 0; i < g_.objects.size(); ++i)
    if (g_.at(i).kind == PyKind::persistent_id) register_storage(i);
}

const std::vector<uint32_t>* TensorParser::storage_pid(uint32_t pid_obj) const {
  const PyObj& p = g_.at(pid_obj);
  if (p.kind != PyKind::persistent_id) return nullptr;
  const auto& pid = g_.elements(p.callable);
  int64_t numel = -1;
  if (pid.size() < 5 || pid.size() > 6 || !g_.str(pid[0]) || *g_.str(pid[0]) != "storage" || !g_.str(pid[2]) ||
      !g_.str(pid[3]) || !g_.integer(pid[4], numel) || numel < 0 || g_.at(pid[1]).kind != PyKind::global)
    return nullptr;
  return &pid;
}

void TensorParser::register_storage(uint32_t pid_obj) {
  const PyObj& p = g_.at(pid_obj);
  const auto* pid = storage_pid(pid_obj);
  if (!pid) {
    bad(rules::torch_bad_persistent_id, "persistent id is not ('storage', type, key, location, numel)", p.offset, "");
    return;
  }
  const PyObj& type = g_.at((*pid)[1]);
  int64_t numel = 0;
  g_.integer((*pid)[4], numel);
  TorchStorage s;
  s.key = *g_.str((*pid)[2]);
  s.location = *g_.str((*pid)[3]);
  s.numel = uint64_t(numel);
  s.offset = p.offset;
  s.storage_class = std::string(type.module()) + "." + std::string(type.name());
  s.dtype = dtype_from_storage_class(type.module(), type.name());
  if (s.dtype == TorchDType::unknown)
    bad(rules::torch_unknown_storage_type, "storage class " + s.storage_class + " is unknown", p.offset, s.key);
  auto [it, fresh] = storage_index_.emplace(s.key, out_.storages.size());
  if (fresh) {
    out_.storages.push_back(std::move(s));
    return;
  }
  const TorchStorage& first = out_.storages[it->second];
  if (first.dtype != s.dtype)
    bad(rules::torch_storage_dtype_conflict,
        "storage " + s.key + " is " + std::string(dtype_name(first.dtype)) + " and " + std::string(dtype_name(s.dtype)),
        p.offset, s.key);
  if (first.numel != s.numel)
    bad(rules::torch_storage_numel_conflict,
        "storage " + s.key + " holds " + std::to_string(first.numel) + " and " + std::to_string(s.numel) + " elements",
        p.offset, s.key);
}

bool TensorParser::parse_storage(uint32_t storage_obj, uint64_t at, const std::string& path, TorchTensor& t,
                                 std::optional<TorchDType> dtype_override) {
  const auto* pid = storage_pid(storage_obj);
  if (!pid) {
    // The pre-pass reported malformed persistent ids; anything else here is no storage.
    if (g_.at(storage_obj).kind != PyKind::persistent_id)
      bad(rules::torch_bad_persistent_id, "tensor storage is no persistent id", at, path);
    return false;
  }
  const TorchStorage& s = out_.storages[storage_index_.at(*g_.str((*pid)[2]))];
  t.storage_key = s.key;
  // A typed storage fixes the dtype; an untyped one (torch 2) takes the tensor's.
  TorchDType pid_dtype = dtype_from_storage_class(g_.at((*pid)[1]).module(), g_.at((*pid)[1]).name());
  t.dtype = dtype_override ? *dtype_override : pid_dtype;
  // Legacy storage views: (view_key, offset, size) into the root storage, in elements.
  if (pid->size() == 6) {
    const auto& view = g_.elements((*pid)[5]);
    int64_t vo = 0, vs = 0;
    if (view.size() == 3 && g_.integer(view[1], vo) && g_.integer(view[2], vs) && vo >= 0 && vs >= 0) {
      CheckedU64 off = CheckedU64(t.storage_offset) + CheckedU64(uint64_t(vo));
      t.storage_offset = off.ok() ? off.value() : UINT64_MAX;
      if (uint64_t(vo) > s.numel || uint64_t(vs) > s.numel - uint64_t(vo))
        bad(rules::torch_storage_past_end, "storage view past the end of storage " + s.key, at, path);
    }
  }
  return true;
}

// The last element the tensor touches must lie inside its storage: offset +
// sum((size_i - 1) * stride_i) < numel, every product checked.
void TensorParser::check_extent(const TorchTensor& t, const std::string& path) {
  const TorchStorage* s = out_.storage(t.storage_key);
  CheckedU64 numel = 1, last = t.storage_offset;
  for (size_t k = 0; k < t.shape.size(); ++k) {
    numel *= t.shape[k];
    if (t.shape[k] > 0) last += (CheckedU64(t.shape[k]) - 1) * t.stride[k];
  }
  CheckedU64 end_bytes = (last + 1) * CheckedU64(dtype_size(t.dtype));
  if (!numel.ok() || !last.ok() || !end_bytes.ok()) {
    bad(rules::torch_shape_overflow, "size x stride overflows 64 bits", t.offset, path);
    return;
  }
  if (!s || numel.value() == 0 || dtype_size(t.dtype) == 0 || dtype_size(s->dtype) == 0) return;
  if (end_bytes.value() > s->nbytes())
    bad(rules::torch_storage_past_end,
        "elements up to byte " + std::to_string(end_bytes.value()) + " of storage " + s->key + " which holds " +
            std::to_string(s->nbytes()),
        t.offset, path);
}

}  // namespace ckpt::torch
