#pragma once
// What a torch.save pickle means: its tensors (key path, dtype, shape, stride, storage
// key and offset), its storage table, and a summary of the object tree for inspect.
// Works on the inert graph of pickle_reader.hpp; nothing is called. The same code serves
// the zip format (data.pkl) and the legacy format (the main pickle).
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/finding.hpp"
#include "pickle_reader.hpp"
#include "torch_dtype.hpp"

namespace ckpt::torch {

// One storage key as the pickle's persistent ids describe it.
struct TorchStorage {
  std::string key;
  TorchDType dtype = TorchDType::unknown;  // untyped: numel counts bytes
  uint64_t numel = 0;                      // elements of dtype, as the persistent id says
  std::string location;                    // "cpu", "cuda:0"
  std::string storage_class;               // "torch.FloatStorage"
  uint64_t offset = 0;                     // of the first persistent id naming it
  uint64_t nbytes() const;                 // numel x element size (saturates at UINT64_MAX)
};

struct TorchTensor {
  std::string path;  // key path through dicts and lists, '/'-joined: "model/tok_embeddings.weight"
  TorchDType dtype = TorchDType::unknown;
  std::vector<uint64_t> shape;
  std::vector<uint64_t> stride;
  uint64_t storage_offset = 0;  // in elements of dtype
  std::string storage_key;
  bool requires_grad = false;
  bool parameter = false;   // wrapped by _rebuild_parameter / nn.Parameter
  uint64_t offset = 0;      // of the REDUCE that rebuilds it
  uint64_t numel() const;   // product of shape (saturates)
  bool contiguous() const;  // row-major strides
};

// One node of the object tree near the root, for inspect.
struct TreeEntry {
  std::string path;
  std::string kind;      // dict, OrderedDict, list, tuple, tensor, int, float, str, bool, None, object:<module.name>
  std::string value;     // scalars: the value; tensors: dtype[shape]
  uint64_t count = 0;    // containers: items
  uint64_t tensors = 0;  // tensors at or below it
};

struct TorchWalkLimits {
  uint32_t max_depth = 64;           // containers nested deeper are not walked (torch.tree_too_deep)
  uint64_t max_visits = 1ull << 21;  // node visits: shared sub-trees are listed under every path, up to this
  uint32_t tree_depth = 2;           // summary entries down to this depth
  uint64_t max_tree_entries = 4096;
  uint32_t max_rank = 64;
};

struct TorchModel {
  std::string root_kind;
  std::vector<TorchTensor> tensors;    // in pickle walk order
  std::vector<TorchStorage> storages;  // in order of first reference
  std::vector<TreeEntry> tree;
  std::vector<Finding> findings;
  const TorchStorage* storage(const std::string& key) const;
};

// Interprets the graph of a completed pickle. Malformed tensors and storages are
// findings (torch.*); the walk is bounded by limits.
TorchModel interpret_torch_pickle(const PickleResult& pickle, const TorchWalkLimits& limits = {});

}  // namespace ckpt::torch
