#pragma once
// The reference writer: lays out any llama2.c format from a config and fp32 weights,
// producing the bytes llama2.c's export.py produces. The layout tables of layout.hpp
// decide every position, the same tables the reader uses.
#include <map>
#include <string>
#include <vector>

#include "ckpt/byte_sink.hpp"
#include "ckpt/checkpoint.hpp"
#include "ckpt/tensor_stream.hpp"

namespace ckpt {

// Where the writer gets a tensor's values, by canonical name.
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // Streams the fp32 values of tensor `spec.name` in flat order. Fails when the tensor
  // is absent, has another element count, or cannot be read.
  virtual Result<uint64_t> values(const TensorSpec& spec, const F32Sink& sink) const = 0;
  // True when the tensor is stored as Q8_0 with group size gs, so that it can be copied
  // bit for bit instead of being requantized.
  virtual bool has_raw_q8(const TensorSpec&, int64_t /*gs*/) const { return false; }
  virtual Result<uint64_t> raw_q8(const TensorSpec& spec, const Q8Sink&) const {
    return Error{"write.source", spec.name + ": no raw Q8_0 data", {}};
  }
};

// Weights held in memory (tests, fixture generation).
class MemoryWeights final : public WeightSource {
 public:
  std::map<std::string, std::vector<float>> tensors;
  Result<uint64_t> values(const TensorSpec& spec, const F32Sink& sink) const override;
};

// Weights read from a parsed file; output.weight falls back to tok_embeddings when the
// file shares its classifier.
class CheckpointWeights final : public WeightSource {
 public:
  CheckpointWeights(const ByteSource& src, const Checkpoint& cp) : src_(src), cp_(cp) {}
  Result<uint64_t> values(const TensorSpec& spec, const F32Sink& sink) const override;
  bool has_raw_q8(const TensorSpec& spec, int64_t gs) const override;
  Result<uint64_t> raw_q8(const TensorSpec& spec, const Q8Sink& sink) const override;

 private:
  const TensorInfo* lookup(const TensorSpec& spec) const;
  const ByteSource& src_;
  const Checkpoint& cp_;
};

struct WriteStats {
  uint64_t bytes = 0;
  float max_quant_error = 0;  // largest |w - dequant(quant(w))| over all quantized groups
  uint64_t copied_q8 = 0;     // tensors copied bit for bit from Q8_0 input
};

// The header bytes of format f for config c (28 or 256 bytes).
std::vector<uint8_t> header_bytes(Format f, const ModelConfig& c);

// Writes a complete file of format f. For Q8_0 formats c.group_size must be set. Fails
// with the layout's error, the source's error or the sink's error.
Result<WriteStats> write_llama2c(ByteSink& out, Format f, const ModelConfig& c, const WeightSource& w);

}  // namespace ckpt
