#pragma once
// Internal: turning one rebuild call of the graph into a TorchTensor and its storage.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "torch_codes.hpp"
#include "torch_pickle.hpp"

namespace ckpt::torch {

enum class RebuildKind { none, tensor, tensor_v3, parameter, from_type, other_torch };
// What a reduce/newobj object rebuilds, judged by its callable.
RebuildKind rebuild_kind(const PickleGraph& g, uint32_t obj);
RebuildKind callable_kind(const PickleGraph& g, uint32_t callable);

class TensorParser {
 public:
  TensorParser(const PickleGraph& g, const TorchWalkLimits& limits, TorchModel& out) : g_(g), lim_(limits), out_(out) {}
  // Parses the tensor rebuilt by obj (a reduce/newobj with a tensor rebuild_kind) found
  // at path; adds it and its storage to out, or a finding. False when it is no tensor.
  bool parse(uint32_t obj, const std::string& path);
  // Adds every storage the graph's persistent ids name to the table (before the walk).
  void register_storages();

 private:
  std::optional<TorchTensor> parse_rebuild(uint32_t call, const std::string& path, int depth);
  std::optional<TorchTensor> parse_call(uint32_t callable, uint32_t args, uint64_t at, const std::string& path,
                                        int depth);
  bool parse_storage(uint32_t storage_obj, uint64_t at, const std::string& path, TorchTensor& t,
                     std::optional<TorchDType> dtype_override);
  const std::vector<uint32_t>* storage_pid(uint32_t pid_obj) const;
  void register_storage(uint32_t pid_obj);
  bool int_tuple(uint32_t obj, std::vector<uint64_t>& out);
  void check_extent(const TorchTensor& t, const std::string& path);
  void bad(const RuleDef& rule, const std::string& msg, uint64_t at, const std::string& path);

  const PickleGraph& g_;
  const TorchWalkLimits& lim_;
  TorchModel& out_;
  std::unordered_map<std::string, size_t> storage_index_;
};

}  // namespace ckpt::torch
