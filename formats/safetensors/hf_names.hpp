#pragma once
// Hugging Face Llama parameter names and the canonical ones (FORMATS.md), in both
// directions: the reader maps a folder's names to canonical views, the writer lays out
// a folder from canonical tensors. q_proj and k_proj are stored in Hugging Face's rotary
// layout (the halves of each head's rows, not interleaved pairs): `rotary` says which
// head count permutes them.
#include <optional>
#include <string>
#include <string_view>

namespace ckpt::safetensors {

enum class Rotary { none, query, key };  // permuted with n_heads (query) or n_kv_heads (key)

struct HfParam {
  std::string_view hf;         // "{i}" stands for the layer
  std::string_view canonical;  // likewise
  Rotary rotary;
};

// In LlamaForCausalLM's state_dict order (the order transformers shards in).
inline constexpr HfParam kHfLlamaParams[] = {
    {"model.embed_tokens.weight", "tok_embeddings.weight", Rotary::none},
    {"model.layers.{i}.self_attn.q_proj.weight", "layers.{i}.attention.wq.weight", Rotary::query},
    {"model.layers.{i}.self_attn.k_proj.weight", "layers.{i}.attention.wk.weight", Rotary::key},
    {"model.layers.{i}.self_attn.v_proj.weight", "layers.{i}.attention.wv.weight", Rotary::none},
    {"model.layers.{i}.self_attn.o_proj.weight", "layers.{i}.attention.wo.weight", Rotary::none},
    {"model.layers.{i}.mlp.gate_proj.weight", "layers.{i}.feed_forward.w1.weight", Rotary::none},
    {"model.layers.{i}.mlp.up_proj.weight", "layers.{i}.feed_forward.w3.weight", Rotary::none},
    {"model.layers.{i}.mlp.down_proj.weight", "layers.{i}.feed_forward.w2.weight", Rotary::none},
    {"model.layers.{i}.input_layernorm.weight", "layers.{i}.attention_norm.weight", Rotary::none},
    {"model.layers.{i}.post_attention_layernorm.weight", "layers.{i}.ffn_norm.weight", Rotary::none},
    {"model.norm.weight", "norm.weight", Rotary::none},
    {"lm_head.weight", "output.weight", Rotary::none},
};

struct NameMatch {
  std::string name;  // the name in the other scheme
  Rotary rotary = Rotary::none;
  int64_t layer = -1;
};

// The canonical name of a Hugging Face parameter, or nullopt when it is not one.
std::optional<NameMatch> canonical_of_hf(std::string_view hf);
// The Hugging Face name of a canonical tensor, or nullopt.
std::optional<NameMatch> hf_of_canonical(std::string_view canonical);

}  // namespace ckpt::safetensors
