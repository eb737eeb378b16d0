#pragma once
// tt-train msgpack beyond reading: canonical views of a Llama model (the llama2.c names,
// with kv_linear split into wk and wv and the padded vocabulary), the config a
// conversion needs, element lookup for --at, and the reference writer.
#include <optional>
#include <string>
#include <vector>

#include "ckpt/byte_sink.hpp"
#include "ckpt/checkpoint.hpp"
#include "ckpt/convert.hpp"
#include "ckpt/writer.hpp"

namespace ckpt {

// The vocabulary multiple tt-train pads embeddings and classifiers to.
constexpr int64_t kTtmlVocabMultiple = 32;
inline int64_t ttml_padded_vocab(int64_t v) {
  return (v + kTtmlVocabMultiple - 1) / kTtmlVocabMultiple * kTtmlVocabMultiple;
}

// The canonical llama2.c name of a Llama parameter named `rest` below the model prefix
// (e.g. "llama_block_3/attention/q_linear/weight"); kv_linear gives "wk+wv" joined with
// '+'; "" when the name is not a Llama parameter. The one copy of FORMATS.md's table.
std::string ttml_llama_canonical(const std::string& rest);

// A canonical llama2.c tensor seen through a tt-train tensor: rows [row_begin,
// row_begin + rows) of `source` (a tensor of cp.tensors), each `cols` wide.
struct TtmlCanonicalView {
  std::string name;    // e.g. "layers.0.attention.wk.weight"
  std::string source;  // e.g. "llama/llama/llama_block_0/attention/kv_linear/weight"
  uint64_t row_begin = 0, rows = 0, cols = 0;
};

// The canonical tensors of a Llama model file (empty for other models). The embedding
// and classifier views cover all padded rows; kv_linear yields wk (first half of its
// rows) and wv (second half).
std::vector<TtmlCanonicalView> ttml_canonical_views(const Checkpoint& cp);

// What a Llama model file says about its config (everything but n_heads and seq_len).
struct TtmlLlamaShape {
  int64_t dim = 0, hidden_dim = 0, n_layers = 0;
  int64_t vocab_rows = 0;         // embedding rows, padded to a multiple of 32
  int64_t kv_rows = 0;            // kv_linear rows: 2 x kv_dim
  bool shared_classifier = true;  // no fc/weight
};
// Fails with "convert.input" naming the missing tensor, or for a model that is not Llama.
Result<TtmlLlamaShape> ttml_llama_shape(const Checkpoint& cp);

// The llama2.c config of a Llama model file. The file does not store n_heads or seq_len:
// they are passed in; n_kv_heads derives from kv_linear's rows / 2 / (dim / n_heads);
// vocab_size defaults to the padded embedding rows. shared_classifier is false when
// `fc/weight` is present. Fails with "convert.input" naming what is missing or
// inconsistent.
Result<ModelConfig> ttml_llama_config(const Checkpoint& cp, int64_t n_heads, std::optional<int64_t> vocab_size,
                                      int64_t seq_len);

// Weights of a Llama model file by canonical name (rows of the padded embedding beyond
// the config's vocab_size are dropped; output.weight falls back to the embedding when
// the file has no fc/weight).
class TtmlWeights final : public WeightSource {
 public:
  TtmlWeights(const ByteSource& src, const Checkpoint& cp);
  Result<uint64_t> values(const TensorSpec& spec, const F32Sink& sink) const override;

 private:
  const ByteSource& src_;
  const Checkpoint& cp_;
  std::vector<TtmlCanonicalView> views_;
};

// One element of a msgpack data array (or raw numpy bytes) found by file offset.
struct TtmlElementHit {
  uint64_t element = 0;  // flat index
  uint64_t start = 0;    // first byte of the element
  uint32_t length = 0;   // its bytes
  std::string type;      // "float64", "float32", "uint", "int", "<f4", ...
  std::optional<double> value;
};
// Finds the element of tensor `t` holding byte `offset`; nullopt when the offset is not
// inside its elements (array header, or past the elements present).
std::optional<TtmlElementHit> ttml_element_at(const ByteSource& src, const TtmlTensor& t, uint64_t offset);

struct TtmlWriteOptions {
  std::string prefix = "llama/llama";  // keys are <prefix>/<tt-train parameter name>/...
};

// Writes a Llama model the way tt-train's C++ MsgPackFile writes it: one map, keys in
// byte-wise lexicographic order, values [variant, payload]; each parameter as
// value/{shape,data_type,layout,storage_type,data} + requires_grads + has_grads; floats
// that are integral as msgpack integers, others as float32; the vocabulary padded with
// zero rows to a multiple of 32. Fails with the source's or the sink's error.
Result<WriteStats> write_ttml_llama(ByteSink& out, const ModelConfig& c, const WeightSource& w,
                                    const TtmlWriteOptions& opt = {});

// What converting from a tt-train file needs that the file does not store.
struct TtmlSourceOptions {
  int64_t n_heads = 0;
  std::optional<int64_t> vocab_size;  // default: the padded embedding rows
  int64_t seq_len = 0;
};

// Plans writing ttml-msgpack from cp: a llama2.c checkpoint (any layout; its config, fp32
// values), or a tt-train Llama file (rewritten the C++ writer's way; `from` must give
// n_heads, vocab_size is optional, seq_len unused). Fails with "convert.input" for a
// broken input, "convert.unsupported" for other formats.
Result<ConvertPlan> plan_to_ttml(const Checkpoint& cp, const TtmlSourceOptions* from = nullptr);

// Plans ttml-msgpack -> a llama2.c layout: the config from the file and `src_opt`, then
// the same checks as plan_conversion (group size, lossy targets).
Result<ConvertPlan> plan_from_ttml(const Checkpoint& cp, const ConvertOptions& opt, const TtmlSourceOptions& src_opt);

}  // namespace ckpt
