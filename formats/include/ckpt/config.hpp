#pragma once
// The model hyper-parameters shared by every llama2.c layout.
#include <cstdint>

namespace ckpt {

struct ModelConfig {
  int64_t dim = 0;
  int64_t hidden_dim = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t vocab_size = 0;  // always positive here; v0 stores the sign as the classifier flag
  int64_t seq_len = 0;
  bool shared_classifier = true;
  int64_t group_size = 0;  // Q8_0 group size, 0 when not quantized

  // run.c's formulas (integer division), valid only when n_heads > 0.
  int64_t head_size() const { return n_heads > 0 ? dim / n_heads : 0; }
  int64_t kv_dim() const { return n_heads > 0 ? dim * n_kv_heads / n_heads : 0; }
  bool operator==(const ModelConfig&) const = default;
};

// The exporter's group-size back-off: start at 64 and halve while dim % gs != 0.
int64_t exporter_group_size(int64_t dim, int64_t start = 64);

}  // namespace ckpt
