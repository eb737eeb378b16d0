#pragma once
// The result model of `ckpt inspect`: the parsed file plus what was asked for (stats,
// a byte location, a tensor's values). Renderers in cli/ turn it into text or JSON.
#include <optional>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/locate.hpp"
#include "ckpt/stats.hpp"

namespace ckpt {

struct TensorValues {
  std::string tensor;
  std::vector<uint64_t> shape;
  std::vector<float> values;  // the first `limit` values in flat order
};

struct InspectOptions {
  bool stats = false;
  bool histograms = false;  // with stats: a value histogram per tensor (and Q8_0 scales)
  std::optional<uint64_t> at;
  std::optional<size_t> at_source;  // folders: the file (Checkpoint::sources index) `at` is in
  std::optional<std::string> tensor;
  uint64_t limit = 16;
  unsigned threads = 2;
};

struct InspectReport {
  Checkpoint cp;
  uint64_t parameters = 0;                        // elements of every weight tensor (RoPE tables excluded)
  std::vector<std::optional<TensorStats>> stats;  // parallel to cp.tensors when requested
  std::optional<Location> at;                     // its `value` is the number stored there, when the file holds one
  std::optional<TensorValues> values;
};

// The largest power of two dividing offset, capped at 4096 (a page): what an mmap
// consumer can assume about the array starting there.
uint64_t alignment_of(uint64_t offset);

// Builds the report. Without stats or values it reads nothing beyond what opening the
// file read. --tensor takes a stored or a canonical name. Fails with inspect_tensor when
// it names no tensor.
Result<InspectReport> build_inspect_report(Checkpoint cp, const InspectOptions& opt);

}  // namespace ckpt
