// The llama2.c layout tables (FORMATS.md): header fields and tensor order per layout.
#include "layout.hpp"

#include <string>

#include "ckpt/checked.hpp"
#include "formats.hpp"

namespace ckpt::llama2c {

namespace {

// Field codecs: how each header field is written from and read into a config.
int64_t put_magic(Format, const ModelConfig&) { return kAk42Magic; }
int64_t put_version(Format f, const ModelConfig&) { return f == ak42_v1_fp32 || f == ak42_v1_q8_0 ? 1 : 2; }
void get_nothing(Format, int64_t, ModelConfig&) {}
#define CKPT_INT_FIELD(member)                                      \
  [](Format, const ModelConfig& c) -> int64_t { return c.member; }, \
      [](Format, int64_t v, ModelConfig& c) { c.member = v; }
// v0 stores the classifier flag as the sign of vocab_size; ak42 stores it positive (a
// negative one is reported and read as its magnitude).
int64_t put_vocab(Format f, const ModelConfig& c) {
  return f == v0 && !c.shared_classifier ? -c.vocab_size : c.vocab_size;
}
void get_vocab(Format f, int64_t v, ModelConfig& c) {
  c.vocab_size = v < 0 ? -v : v;
  if (f == v0) c.shared_classifier = v > 0;
}
// The v1 Q8_0 draft always writes 1: it never stores a classifier. runq.c reads the byte
// as a boolean: any non-zero value means shared.
int64_t put_shared(Format f, const ModelConfig& c) { return c.shared_classifier || f == ak42_v1_q8_0 ? 1 : 0; }
void get_shared(Format, int64_t v, ModelConfig& c) { c.shared_classifier = v != 0; }

std::vector<HeaderFieldSpec> config_fields(uint64_t at) {
  return {
      {"dim", at + 0, 4, FieldType::i32, CKPT_INT_FIELD(dim)},
      {"hidden_dim", at + 4, 4, FieldType::i32, CKPT_INT_FIELD(hidden_dim)},
      {"n_layers", at + 8, 4, FieldType::i32, CKPT_INT_FIELD(n_layers)},
      {"n_heads", at + 12, 4, FieldType::i32, CKPT_INT_FIELD(n_heads)},
      {"n_kv_heads", at + 16, 4, FieldType::i32, CKPT_INT_FIELD(n_kv_heads)},
      {"vocab_size", at + 20, 4, FieldType::i32, put_vocab, get_vocab},
      {"seq_len", at + 24, 4, FieldType::i32, CKPT_INT_FIELD(seq_len)},
  };
}

std::vector<HeaderFieldSpec> ak42_header(bool quantized) {
  std::vector<HeaderFieldSpec> h{{"magic", 0, 4, FieldType::u32, put_magic, get_nothing},
                                 {"version", 4, 4, FieldType::i32, put_version, get_nothing}};
  for (const auto& f : config_fields(8)) h.push_back(f);
  h.push_back({"shared_classifier", 36, 1, FieldType::u8, put_shared, get_shared});
  if (quantized) h.push_back({"group_size", 37, 4, FieldType::i32, CKPT_INT_FIELD(group_size)});
  return h;
}
#undef CKPT_INT_FIELD

}  // namespace

const std::vector<HeaderFieldSpec>& header_fields(Format f) {
  static const std::vector<HeaderFieldSpec> empty, v0_header = config_fields(0), fp32 = ak42_header(false),
                                                   q8 = ak42_header(true);
  if (f == v0) return v0_header;
  if (f == ak42_v1_fp32) return fp32;
  if (is_q8(f)) return q8;
  return empty;
}

const HeaderFieldSpec* header_field(Format f, std::string_view name) {
  for (const auto& field : header_fields(f))
    if (field.name == name) return &field;
  return nullptr;
}

uint64_t header_size(Format f) {
  if (f == v0) return 28;
  if (is_ak42(f)) return 256;
  return 0;
}

Result<std::vector<TensorSpec>> tensor_specs(Format f, const ModelConfig& c, int64_t max_layers) {
  if (!is_checkpoint(f)) return Error{ErrorCode::layout_format, "no tensor layout for this format", {}};
  auto bad = [](const char* field, int64_t v) {
    return Error{
        ErrorCode::layout_config, std::string(field) + " = " + std::to_string(v) + " cannot describe a model", {}};
  };
  if (c.dim <= 0) return bad("dim", c.dim);
  if (c.hidden_dim <= 0) return bad("hidden_dim", c.hidden_dim);
  if (c.n_layers <= 0) return bad("n_layers", c.n_layers);
  if (c.n_layers > max_layers) return bad("n_layers", c.n_layers);
  if (c.n_heads <= 0) return bad("n_heads", c.n_heads);
  if (c.n_kv_heads <= 0) return bad("n_kv_heads", c.n_kv_heads);
  if (c.vocab_size <= 0) return bad("vocab_size", c.vocab_size);
  if (f == v0 && c.seq_len <= 0) return bad("seq_len", c.seq_len);
  const bool q8 = is_q8(f);
  if (q8 && c.group_size <= 0) return bad("group_size", c.group_size);

  const uint64_t D = uint64_t(c.dim), H = uint64_t(c.hidden_dim), V = uint64_t(c.vocab_size);
  const uint64_t head_size = uint64_t(c.head_size());
  if (head_size == 0) return bad("n_heads", c.n_heads);  // more heads than dims
  const uint64_t q_rows = uint64_t(c.n_heads) * head_size, kv_rows = uint64_t(c.n_kv_heads) * head_size;

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

  if (f == v0) {
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
    add("freqs_cos", DType::f32, {uint64_t(c.seq_len), head_size / 2});
    add("freqs_sin", DType::f32, {uint64_t(c.seq_len), head_size / 2});
    if (!c.shared_classifier) add("output.weight", DType::f32, {V, D});
  } else {
    norms_first();
    add("tok_embeddings.weight", mat, {V, D});
    matrices();
    // The v1 Q8_0 draft never writes the classifier, whatever the shared byte says.
    if (!c.shared_classifier && f != ak42_v1_q8_0) add("output.weight", mat, {V, D});
  }
  if (overflow) return Error{ErrorCode::layout_overflow, "tensor sizes overflow 64-bit arithmetic", {}};
  return out;
}

Result<Layout> build_layout(Format f, const ModelConfig& c, int64_t max_layers) {
  auto specs = tensor_specs(f, c, max_layers);
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
    if (!pos.ok()) return Error{ErrorCode::layout_overflow, "file size overflows 64-bit arithmetic at " + t.name, {}};
  }
  // Second pass for the scales-last layouts: every scale array, in the same order.
  if (has_scales_last(f)) {
    for (size_t i = 0; i < L.tensors.size(); ++i) {
      if (L.tensors[i].dtype != DType::q8_0) continue;
      L.places[i].scale_offset = pos.value();
      pos += L.places[i].scale_nbytes;
      if (!pos.ok()) return Error{ErrorCode::layout_overflow, "file size overflows 64-bit arithmetic", {}};
    }
  }
  L.total_size = pos.value();
  return L;
}

}  // namespace ckpt::llama2c
