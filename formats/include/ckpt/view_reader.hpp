#pragma once
// Reads the values of one canonical view by element range, with bounded buffers: raw
// tensors at any element (Q8_0 dequantized group by group, with each element's half
// quantization step, the bound a correct quantization meets), encoded ones as a forward
// stream decoded on a producer thread.
#include <memory>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/views.hpp"

namespace ckpt {

namespace core {
class StreamCursor;
}

// Half a step of a group with scale s, plus slack for fp32 rounding: the exporter rounds
// w / s in fp32 (relative error 2^-24 of |q| <= 127) and the reader rounds q * s, so a
// correct quantization can exceed s / 2 by about 2 * 127 * 2^-24 * s. 2^-14 covers that.
inline float q8_half_step(float scale) { return 0.5f * scale * (1.0f + 1.0f / 16384.0f); }

class ViewReader {
 public:
  // force_stream reads even a raw tensor as a stream (tests of the encoded path).
  ViewReader(const Checkpoint& cp, const CanonicalView& v, bool force_stream = false);
  ~ViewReader();
  ViewReader(ViewReader&&) noexcept;
  // Elements of the view present in the file (fewer than numel when it is truncated).
  uint64_t available() const { return available_; }
  bool is_q8() const;
  // Raw tensors can be read at any element; encoded ones only as a stream: reads must
  // then go forward (a read behind the cursor restarts the stream).
  bool random_access() const;
  // Reads view elements [first, first + n), which must be below available(). When
  // half_step is not null it receives each element's Q8_0 half step (0 otherwise).
  // Fails with io_read.
  Result<bool> read(uint64_t first, size_t n, float* out, float* half_step);

 private:
  Result<bool> read_q8(uint64_t e0, size_t n, float* out, float* half_step);
  Result<bool> read_stream(uint64_t e0, size_t n, float* out, float* half_step);
  // Shards and row orders: row by row, each row (or row part) a raw range of a shard.
  Result<bool> read_mapped(uint64_t first, size_t n, float* out);
  Result<bool> read_row(uint64_t row, uint64_t col, size_t count, float* out);
  const Checkpoint& cp_;
  const CanonicalView& v_;
  const TensorInfo& t_;
  bool force_stream_;
  std::unique_ptr<core::StreamCursor> cursor_;
  uint64_t available_ = 0;
  std::vector<int8_t> q_;
  std::vector<float> s_, deq_;
};

}  // namespace ckpt
