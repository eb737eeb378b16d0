// Structure rules: what the header alone says is wrong. None of them reads the data.
#include <string>

#include "rules.hpp"

namespace ckpt::validation {

namespace {

// run.c allocates a KV cache of 2 * n_layers * seq_len * kv_dim floats: beyond a million
// positions it cannot be allocated for any model, and ak42 sizes do not catch it.
constexpr int64_t kMaxSeqLen = int64_t(1) << 20;

std::string str(int64_t v) { return std::to_string(v); }

}  // namespace

void check_header_values(const RuleContext& c, Collector& out) {
  if (!c.cp.format.has_tag("checkpoint")) return;
  for (const char* name : {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "seq_len"}) {
    const HeaderValue* h = header_field(c.cp, name);
    if (!h) continue;  // cut off: header.truncated says so
    if (h->value <= 0)
      out.field("header.value", std::string(name) + " is " + str(h->value) + ": it must be positive", h->offset, name);
  }
  const int64_t max_layers = c.cp.limits.max_layers;
  if (const HeaderValue* n = header_field(c.cp, "n_layers"); n && n->value > max_layers)
    out.field("header.value",
              "n_layers is " + str(n->value) + ": more than " + str(max_layers) + " layers is not a model", n->offset,
              "n_layers");
  if (const HeaderValue* s = header_field(c.cp, "seq_len"); s && s->value > kMaxSeqLen)
    out.field("header.value",
              "seq_len is " + str(s->value) + ": more than " + str(kMaxSeqLen) +
                  " positions (run.c's KV cache could not be allocated)",
              s->offset, "seq_len");
  // A negative ak42 vocab_size is the reader's finding (the family knows the sign rule).
  if (const HeaderValue* v = header_field(c.cp, "vocab_size"); v && v->value == 0)
    out.field("header.value", "vocab_size is 0: it must be non-zero", v->offset, "vocab_size");
}

void check_shared_flag(const RuleContext& c, Collector& out) {
  if (!c.cp.format.has_tag("ak42")) return;
  const HeaderValue* h = header_field(c.cp, "shared_classifier");
  if (h && h->value != 0 && h->value != 1)
    out.field("header.shared_flag", "shared_classifier byte is " + str(h->value) + ": expected 0 or 1", h->offset,
              "shared_classifier");
}

void check_padding(const RuleContext& c, Collector& out) {
  // A header cut short (no config) has no padding to check.
  if (!c.cp.format.has_tag("ak42") || !c.cp.config) return;
  // Padding starts after the last header field of this layout and runs to the header end.
  uint64_t start = 0;
  for (const auto& field : c.cp.header) start = std::max(start, field.offset + field.size);
  const uint64_t end = c.cp.header_size;
  if (start >= end || end - start > 4096) return;
  uint8_t buf[4096];
  const size_t got = c.src().read_available(start, buf, size_t(end - start));
  uint64_t nonzero = 0, first = 0;
  for (size_t i = 0; i < got; ++i)
    if (buf[i] != 0 && nonzero++ == 0) first = start + i;
  if (nonzero > 0)
    out.field("header.padding",
              std::to_string(nonzero) + " non-zero padding byte" + (nonzero == 1 ? "" : "s") + " between bytes " +
                  std::to_string(start) + " and " + std::to_string(end - 1) + ", the first at byte " +
                  std::to_string(first),
              first, "padding");
}

void check_head_config(const RuleContext& c, Collector& out) {
  if (!c.cp.format.has_tag("checkpoint") || !c.cp.config) return;
  const ModelConfig& m = *c.cp.config;
  const auto heads_at = field_offset(c.cp, "n_heads"), kv_at = field_offset(c.cp, "n_kv_heads");
  if (m.dim > 0 && m.n_heads > 0) {
    if (m.dim % m.n_heads != 0) {
      out.field("config.dim_heads",
                "dim " + str(m.dim) + " is not a multiple of n_heads " + str(m.n_heads) + " (head_size would be " +
                    str(m.dim / m.n_heads) + " with " + str(m.dim % m.n_heads) + " dimensions left over)",
                heads_at, "n_heads");
    } else if ((m.dim / m.n_heads) % 2 != 0) {
      out.field("config.head_size",
                "head_size dim/n_heads = " + str(m.dim / m.n_heads) + " is odd: RoPE rotates pairs of dimensions",
                heads_at, "n_heads");
    }
  }
  if (m.n_heads > 0 && m.n_kv_heads > 0 && m.n_heads % m.n_kv_heads != 0)
    out.field("config.kv_heads", "n_heads " + str(m.n_heads) + " is not a multiple of n_kv_heads " + str(m.n_kv_heads),
              kv_at, "n_kv_heads");
}

void check_group_size(const RuleContext& c, Collector& out) {
  if (!c.cp.format.has_tag("q8") || !c.cp.config) return;
  const ModelConfig& m = *c.cp.config;
  const auto at = field_offset(c.cp, "group_size");
  const int64_t gs = m.group_size;
  if (gs <= 0) {
    out.field("quant.group_size", "group_size is " + str(gs) + ": it must be positive", at, "group_size");
    return;
  }
  if (m.dim > 0 && m.dim % gs != 0)
    out.field("quant.group_dim",
              "dim " + str(m.dim) + " is not a multiple of group_size " + str(gs) + " (the exporter would use " +
                  str(exporter_group_size(m.dim)) + ")",
              at, "group_size");
  if (m.hidden_dim > 0 && m.hidden_dim % gs != 0)
    out.field("quant.group_hidden",
              "hidden_dim " + str(m.hidden_dim) + " is not a multiple of group_size " + str(gs) +
                  ": runq.c computes garbage in the FFN",
              at, "group_size");
  for (const auto& t : c.cp.tensors) {
    if (t.spec.dtype != DType::q8_0 || t.spec.numel % uint64_t(gs) == 0) continue;
    out.tensor("quant.group_numel",
               t.spec.name + " has " + std::to_string(t.spec.numel) + " elements, not a multiple of group_size " +
                   str(gs) + ": its last " + std::to_string(t.spec.numel % uint64_t(gs)) + " have no scale",
               t.place.offset, t.spec.name);
  }
}

}  // namespace ckpt::validation
