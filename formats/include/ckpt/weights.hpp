#pragma once
// Where writers get a tensor's values, by canonical name, and what a write reports.
#include <map>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/views.hpp"

namespace ckpt {

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // Streams the fp32 values of tensor `spec.name` in flat order: the first spec.numel
  // values of the view of that name (so a padded vocabulary is cut to the config's).
  // Fails when the tensor is absent, has too few elements, or cannot be read.
  virtual Result<uint64_t> values(const TensorSpec& spec, const F32Sink& sink) const = 0;
  // True when the tensor is stored as Q8_0 with group size gs, so that it can be copied
  // bit for bit instead of being requantized.
  virtual bool has_raw_q8(const TensorSpec&, int64_t /*gs*/) const { return false; }
  virtual Result<uint64_t> raw_q8(const TensorSpec& spec, const Q8Sink&) const {
    return Error{ErrorCode::write_source, spec.name + ": no raw Q8_0 data", {}};
  }
};

// Weights held in memory (tests, fixture generation).
class MemoryWeights final : public WeightSource {
 public:
  std::map<std::string, std::vector<float>> tensors;
  Result<uint64_t> values(const TensorSpec& spec, const F32Sink& sink) const override;
};

// Weights read from a parsed file through its canonical views; output.weight falls back
// to tok_embeddings when the file shares its classifier (has no output.weight).
class CheckpointWeights final : public WeightSource {
 public:
  explicit CheckpointWeights(const Checkpoint& cp) : cp_(cp), views_(canonical_views(cp)) {}
  Result<uint64_t> values(const TensorSpec& spec, const F32Sink& sink) const override;
  bool has_raw_q8(const TensorSpec& spec, int64_t gs) const override;
  Result<uint64_t> raw_q8(const TensorSpec& spec, const Q8Sink& sink) const override;

 private:
  const CanonicalView* lookup(const std::string& name) const;
  const Checkpoint& cp_;
  std::vector<CanonicalView> views_;
};

struct WriteStats {
  uint64_t bytes = 0;
  float max_quant_error = 0;       // largest |w - dequant(quant(w))| over all quantized groups
  uint64_t copied_q8 = 0;          // tensors copied bit for bit from Q8_0 input
  std::vector<std::string> notes;  // what the writer found out on the way
};

}  // namespace ckpt
