#include "ckpt/layout.hpp"

#include <string>

#include "ckpt/checked.hpp"

namespace ckpt {

namespace {

const std::vector<HeaderFieldSpec> kV0Header{
    {"dim", 0, 4, FieldType::i32},        {"hidden_dim", 4, 4, FieldType::i32},
    {"n_layers", 8, 4, FieldType::i32},   {"n_heads", 12, 4, FieldType::i32},
    {"n_kv_heads", 16, 4, FieldType::i32}, {"vocab_size", 20, 4, FieldType::i32},
    {"seq_len", 24, 4, FieldType::i32},
};

std::vector<HeaderFieldSpec> ak42_header(bool quantized) {
  std::vector<HeaderFieldSpec> h{{"magic", 0, 4, FieldType::u32}, {"version", 4, 4, FieldType::i32}};
  for (auto f : kV0Header) {
    f.offset += 8;
    h.push_back(f);
  }
  h.push_back({"shared_classifier", 36, 1, FieldType::u8});
  if (quantized) h.push_back({"group_size", 37, 4, FieldType::i32});
  return h;
}

}  // namespace

std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::f32: return "f32";
    case DType::q8_0: return "q8_0";
    case DType::bf16: return "bf16";
    case DType::u32: return "u32";
  }
  return "f32";
}

const std::vector<HeaderFieldSpec>& header_fields(Format f) {
  static const std::vector<HeaderFieldSpec> empty, fp32 = ak42_header(false), q8 = ak42_header(true);
  if (f == Format::llama2c_v0) return kV0Header;
  if (f == Format::ak42_v1_fp32) return fp32;
  if (is_q8(f)) return q8;
  return empty;
}

uint64_t header_size(Format f) {
  if (f == Format::llama2c_v0) return 28;
  if (is_ak42(f)) return 256;
  return 0;
}

int64_t exporter_group_size(int64_t dim, int64_t start) {
  int64_t gs = start;
  while (gs > 1 && dim % gs != 0) gs /= 2;
  return gs;
}

Result<std::vector<TensorSpec>> tensor_specs(Format f, const ModelConfig& c) {
  if (!is_llama2c_checkpoint(f)) return Error{"layout.format", "no tensor layout for this format", {}};
  auto bad = [](const char* field, int64_t v) {
    return Error{"layout.config", std::string(field) + " = " + std::to_string(v) + " cannot describe a model", {}};
  };
  if (c.dim <= 0) return bad("dim", c.dim);
  if (c.hidden_dim <= 0) return bad("hidden_dim", c.hidden_dim);
  if (c.n_layers <= 0) return bad("n_layers", c.n_layers);
  if (c.n_layers > kMaxLayers) return bad("n_layers", c.n_layers);
  if (c.n_heads <= 0) return bad("n_heads", c.n_heads);
  if (c.n_kv_heads <= 0) return bad("n_kv_heads", c.n_kv_heads);
  if (c.vocab_size <= 0) return bad("vocab_size", c.vocab_size);
  if (f == Format::llama2c_v0 && c.seq_len <= 0) return bad("seq_len", c.seq_len);
  const bool q8 = is_q8(f);
  if (q8 && c.group_size <= 0) return bad("group_size", c.group_size);

  const uint64_t D = uint64_t(c.dim), H = uint64_t(c.hidden_dim), V = uint64_t(c.vocab_size);
  const uint64_t hs = uint64_t(c.head_size());
  if (hs == 0) return bad("n_heads", c.n_heads);  // more heads than dims
  const uint64_t q_rows = uint64_t(c.n_heads) * hs, kv_rows = uint64_t(c.n_kv_heads) * hs;

  std::vector<TensorSpec> out;
  bool overflow = false;
  auto add = [&](std::string name, DType dt, std::vector<uint64_t> shape) {
    CheckedU64 n = 1;
    for (auto s : shape) n *= s;
    overflow |= !n.ok();
    out.push_back(TensorSpec{std::move(name), dt, std::move(shape), n.value()});
  };
  auto layers = [&](const char* suffix, DType dt, std::vector<uint64_t> shape) {
    for (int64_t i = 0; i < c.n_layers; ++i) add("layers." + std::to_string(i) + "." + suffix, dt, shape);
  };
  const DType mat = q8 ? DType::q8_0 : DType::f32;
  auto norms_first = [&] {
    layers("attention_norm.weight", DType::f32, {D});
    layers("ffn_norm.weight", DType::f32, {D});
    add("norm.weight", DType::f32, {D});
  };
  auto matrices = [&] {
    layers("attention.wq.weight", mat, {q_rows, D});
    layers("attention.wk.weight", mat, {kv_rows, D});
    layers("attention.wv.weight", mat, {kv_rows, D});
    layers("attention.wo.weight", mat, {D, q_rows});
    layers("feed_forward.w1.weight", mat, {H, D});
    layers("feed_forward.w2.weight", mat, {D, H});
    layers("feed_forward.w3.weight", mat, {H, D});
  };

  if (f == Format::llama2c_v0) {
    add("tok_embeddings.weight", DType::f32, {V, D});
    layers("attention_norm.weight", DType::f32, {D});
    layers("attention.wq.weight", DType::f32, {q_rows, D});
    layers("attention.wk.weight", DType::f32, {kv_rows, D});
    layers("attention.wv.weight", DType::f32, {kv_rows, D});
    layers("attention.wo.weight", DType::f32, {D, q_rows});
    layers("ffn_norm.weight", DType::f32, {D});
    layers("feed_forward.w1.weight", DType::f32, {H, D});
    layers("feed_forward.w2.weight", DType::f32, {D, H});
    layers("feed_forward.w3.weight", DType::f32, {H, D});
    add("norm.weight", DType::f32, {D});
    add("freqs_cos", DType::f32, {uint64_t(c.seq_len), hs / 2});
    add("freqs_sin", DType::f32, {uint64_t(c.seq_len), hs / 2});
    if (!c.shared_classifier) add("output.weight", DType::f32, {V, D});
  } else {
    norms_first();
    add("tok_embeddings.weight", mat, {V, D});
    matrices();
    // The v1 Q8_0 draft never writes the classifier, whatever the shared byte says.
    if (!c.shared_classifier && f != Format::ak42_v1_q8_0) add("output.weight", mat, {V, D});
  }
  if (overflow) return Error{"layout.overflow", "tensor sizes overflow 64-bit arithmetic", {}};
  return out;
}

Result<Layout> build_layout(Format f, const ModelConfig& c) {
  auto specs = tensor_specs(f, c);
  if (!specs) return specs.error();
  Layout L;
  L.format = f;
  L.tensors = std::move(specs.value());
  L.payload_offset = header_size(f);
  L.places.resize(L.tensors.size());

  CheckedU64 pos = L.payload_offset;
  const bool q8 = is_q8(f);
  const uint64_t gs = q8 ? uint64_t(c.group_size) : 1;
  // First pass: fp32 tensors and int8 data (plus interleaved scales).
  for (size_t i = 0; i < L.tensors.size(); ++i) {
    const auto& t = L.tensors[i];
    auto& p = L.places[i];
    p.offset = pos.value();
    if (t.dtype == DType::f32) {
      CheckedU64 n = CheckedU64(t.numel) * 4;
      p.nbytes = n.value();
      pos += n;
    } else {
      p.nbytes = t.numel;
      pos += t.numel;
      // runq.c's pointer arithmetic: floor(numel / GS) scales.
      CheckedU64 sb = CheckedU64(t.numel / gs) * 4;
      p.scale_nbytes = sb.value();
      if (!has_scales_last(f)) {
        p.scale_offset = pos.value();
        pos += sb;
      }
    }
    if (!pos.ok()) return Error{"layout.overflow", "file size overflows 64-bit arithmetic at " + t.name, {}};
  }
  // Second pass for the scales-last layouts: every scale array, in the same order.
  if (has_scales_last(f)) {
    for (size_t i = 0; i < L.tensors.size(); ++i) {
      if (L.tensors[i].dtype != DType::q8_0) continue;
      L.places[i].scale_offset = pos.value();
      pos += L.places[i].scale_nbytes;
      if (!pos.ok()) return Error{"layout.overflow", "file size overflows 64-bit arithmetic", {}};
    }
  }
  L.total_size = pos.value();
  return L;
}

}  // namespace ckpt
