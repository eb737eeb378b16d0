// Reading metadata.flatbuffer: verification (which schema), then the pairs through the
// generated accessors of ttml_metadata.fbs (both schemas share every table's layout;
// only the union codes differ).
#include "fb_metadata.hpp"

#include <fmt/format.h>

#include <cstring>
#include <map>

#include "ckpt/checked.hpp"
#include "fb_check.hpp"
#include "ttml_fb/ttml_metadata_generated.h"
#include "ttml_fb/ttml_tensor_generated.h"

namespace ckpt::ttml {

namespace fbm = ::ttml::flatbuffer;

std::string_view meta_schema_name(MetaSchema s) {
  return s == MetaSchema::current ? "ttml_metadata.fbs" : "ttml_tensor.fbs (PR #32326 branch)";
}

MetaKind meta_kind(MetaSchema s, uint8_t code) {
  static constexpr MetaKind current[] = {MetaKind::none,     MetaKind::boolean,   MetaKind::i8,     MetaKind::i32,
                                         MetaKind::f32,      MetaKind::f64,       MetaKind::u32,    MetaKind::u64,
                                         MetaKind::bf16,     MetaKind::string,    MetaKind::vec_i8, MetaKind::vec_i32,
                                         MetaKind::vec_f32,  MetaKind::vec_f64,   MetaKind::vec_u8, MetaKind::vec_u32,
                                         MetaKind::vec_bf16, MetaKind::vec_string};
  if (s == MetaSchema::pr32326) {
    if (code >= 8 && code <= 15)
      code = uint8_t(code + 1);  // no BFloat16Value: everything from 8 shifts
    else if (code > 15)
      return MetaKind::unknown;
  }
  return code < std::size(current) ? current[code] : MetaKind::unknown;
}

std::string_view meta_kind_name(MetaKind k) {
  switch (k) {
    case MetaKind::none:
      return "NONE";
    case MetaKind::boolean:
      return "BoolValue";
    case MetaKind::i8:
      return "CharValue";
    case MetaKind::i32:
      return "IntValue";
    case MetaKind::f32:
      return "FloatValue";
    case MetaKind::f64:
      return "DoubleValue";
    case MetaKind::u32:
      return "UInt32Value";
    case MetaKind::u64:
      return "SizeTValue";
    case MetaKind::bf16:
      return "BFloat16Value";
    case MetaKind::string:
      return "StringValue";
    case MetaKind::vec_i8:
      return "VectorChar";
    case MetaKind::vec_i32:
      return "VectorInt";
    case MetaKind::vec_f32:
      return "VectorFloat";
    case MetaKind::vec_f64:
      return "VectorDouble";
    case MetaKind::vec_u8:
      return "VectorUInt8";
    case MetaKind::vec_u32:
      return "VectorUInt32";
    case MetaKind::vec_bf16:
      return "VectorBFloat16";
    case MetaKind::vec_string:
      return "VectorString";
    case MetaKind::unknown:
      return "unknown";
  }
  return "unknown";
}

namespace {

constexpr size_t kMaxText = 64 * 1024, kMaxBytes = 4096, kPreviewItems = 8;

bool verify(std::span<const uint8_t> buf, MetaSchema s) {
  if (buf.size() >= (uint64_t(1) << 31)) return false;
  flatbuffers::Verifier v(buf.data(), buf.size());
  return s == MetaSchema::current ? v.VerifyBuffer<fbm::TTMLData>(nullptr)
                                  : v.VerifyBuffer<fbm::pr32326::TTMLData>(nullptr);
}

float bf16(uint16_t bits) {
  const uint32_t u = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

std::string shorten(std::string s) {
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  return s;
}

// The elements of a scalar vector, read with memcpy (8-byte elements may be misaligned).
template <class T, class Show>
std::string vector_preview(const flatbuffers::Vector<T>* v, uint64_t& count, Show show) {
  count = v ? v->size() : 0;
  std::string s = "[";
  for (uint64_t i = 0; i < count && i < kPreviewItems; ++i) {
    T x;
    std::memcpy(&x, v->Data() + i * sizeof(T), sizeof(T));
    s += (i ? ", " : "") + show(x);
  }
  if (count > kPreviewItems) s += fmt::format(", ... ({} values)", count);
  return s + "]";
}

template <class T>
const T* as(const fbm::KeyValuePair* p) {
  return static_cast<const T*>(p->value());
}

// Decodes one pair's value (its tables verified already).
void decode_value(const fbm::KeyValuePair* p, MetaPair& m) {
  auto num = [](auto x) { return fmt::format("{}", x); };
  switch (m.kind) {
    case MetaKind::none:
      m.preview = "(no value)";
      return;
    case MetaKind::unknown:
      m.preview = fmt::format("(union type {} unknown to this schema)", m.code);
      return;
    case MetaKind::boolean:
      m.int_value = as<fbm::BoolValue>(p)->value();
      m.preview = *m.int_value ? "true" : "false";
      return;
    case MetaKind::i8:
      m.int_value = as<fbm::CharValue>(p)->value();
      break;
    case MetaKind::i32:
      m.int_value = as<fbm::IntValue>(p)->value();
      break;
    case MetaKind::u32:
      m.int_value = as<fbm::UInt32Value>(p)->value();
      break;
    case MetaKind::u64: {
      const uint64_t v = as<fbm::SizeTValue>(p)->value();
      m.int_value = v > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(v);
      m.preview = std::to_string(v);
      return;
    }
    case MetaKind::f32:
      m.float_value = as<fbm::FloatValue>(p)->value();
      m.preview = num(float(*m.float_value));
      return;
    case MetaKind::f64:
      m.float_value = as<fbm::DoubleValue>(p)->value();
      m.preview = num(*m.float_value);
      return;
    case MetaKind::bf16:
      m.float_value = bf16(as<fbm::BFloat16Value>(p)->value());
      m.preview = num(float(*m.float_value));
      return;
    case MetaKind::string: {
      const auto* s = as<fbm::StringValue>(p)->value();
      std::string t = s ? s->str() : std::string();
      if (t.size() > kMaxText) t.resize(kMaxText);
      m.text = t;
      m.count = s ? s->size() : 0;
      m.preview = "\"" + shorten(t) + "\"";
      return;
    }
    case MetaKind::vec_i8:
    case MetaKind::vec_u8: {
      const auto* v = as<fbm::VectorUInt8>(p)->values();
      m.count = v ? v->size() : 0;
      if (v) m.bytes.assign(v->Data(), v->Data() + std::min<uint64_t>(v->size(), kMaxBytes));
      m.preview = vector_preview(v, m.count, [&](uint8_t x) {
        return m.kind == MetaKind::vec_i8 ? std::to_string(int(int8_t(x))) : std::to_string(x);
      });
      return;
    }
    case MetaKind::vec_i32:
      m.preview = vector_preview(as<fbm::VectorInt>(p)->values(), m.count, num);
      return;
    case MetaKind::vec_u32:
      m.preview = vector_preview(as<fbm::VectorUInt32>(p)->values(), m.count, num);
      return;
    case MetaKind::vec_f32:
      m.preview = vector_preview(as<fbm::VectorFloat>(p)->values(), m.count, num);
      return;
    case MetaKind::vec_f64:
      m.preview = vector_preview(as<fbm::VectorDouble>(p)->values(), m.count, num);
      return;
    case MetaKind::vec_bf16:
      m.preview = vector_preview(as<fbm::VectorBFloat16>(p)->values(), m.count,
                                 [](uint16_t x) { return fmt::format("{}", bf16(x)); });
      return;
    case MetaKind::vec_string: {
      const auto* v = as<fbm::VectorString>(p)->values();
      m.count = v ? v->size() : 0;
      std::string s = "[";
      for (uint64_t i = 0; i < m.count && i < kPreviewItems; ++i)
        s += (i ? ", \"" : "\"") + shorten(v->Get(flatbuffers::uoffset_t(i))->str()) + "\"";
      m.preview = s + (m.count > kPreviewItems ? fmt::format(", ... ({} strings)]", m.count) : "]");
      return;
    }
  }
  m.preview = std::to_string(*m.int_value);
}

// Evidence for the schema when the bytes verify under both.
MetaSchema decide(const fbm::TTMLData* root, std::optional<MetaSchema> prefer, std::string& why) {
  if (const auto* pairs = root->pairs()) {
    for (const auto* p : *pairs) {
      const uint8_t code = uint8_t(p->value_type());
      const std::string key = p->key() ? p->key()->str() : "";
      if (code >= 16) {
        why = fmt::format("\"{}\" has union type {} (ttml_tensor.fbs has 15)", key, code);
        return MetaSchema::current;
      }
      if (code == 9) {
        // A StringValue naming a tensor file (current) reads as a VectorChar in the PR schema.
        const auto* s = static_cast<const fbm::StringValue*>(p->value());
        if (s && s->value() && s->value()->str().ends_with(".tensorbin")) {
          why = fmt::format("\"{}\" is a string naming a .tensorbin file (type 9 = StringValue)", key);
          return MetaSchema::current;
        }
      }
      if (code == 8 && key.ends_with("/tensor_file")) {
        why = fmt::format("\"{}\" has type 8, StringValue in ttml_tensor.fbs", key);
        return MetaSchema::pr32326;
      }
    }
  }
  if (prefer) {
    why = "the container says so";
    return *prefer;
  }
  why = "no value tells the schemas apart: read as the shipped one";
  return MetaSchema::current;
}

}  // namespace

Metadata parse_metadata(std::span<const uint8_t> buf, uint64_t base, std::optional<MetaSchema> prefer,
                        const OpenLimits& limits, const std::string& subject, std::vector<Finding>& findings) {
  Metadata md;
  auto add = [&](std::string rule, Severity s, std::string m, std::optional<uint64_t> off, std::string about = {}) {
    findings.push_back({std::move(rule), s, subject + ": " + m, off, about.empty() ? subject : about});
  };
  const bool cur = verify(buf, MetaSchema::current), pr = verify(buf, MetaSchema::pr32326);
  if (!cur && !pr) {
    const MetaSchema s = prefer.value_or(MetaSchema::current);
    const auto p = fb::locate_problem(buf, s == MetaSchema::current ? fb::kTtmlData : fb::kTtmlDataPr32326);
    add("flatbuffer.verify", Severity::error,
        "the metadata fails the flatbuffers Verifier (ttml.flatbuffer.TTMLData): " +
            (p ? p->what : std::string("a check beyond those ckpt locates")),
        base + (p ? p->offset : 0));
    return md;
  }
  md.verified = true;
  const auto* root = flatbuffers::GetRoot<fbm::TTMLData>(buf.data());
  if (cur && pr) {
    md.schema = decide(root, prefer, md.schema_reason);
  } else {
    md.schema = cur ? MetaSchema::current : MetaSchema::pr32326;
    md.schema_reason = cur ? "verifies only as ttml_metadata.fbs" : "verifies only as ttml_tensor.fbs (PR branch)";
  }
  const auto* pairs = root->pairs();
  if (!pairs) return md;
  auto at = [&](const void* p) { return base + uint64_t(static_cast<const uint8_t*>(p) - buf.data()); };
  if (pairs->size() > limits.max_metadata_pairs) {
    add("ttckpt.too_many_pairs", Severity::error,
        fmt::format("{} pairs, more than the {} ckpt reads", pairs->size(), limits.max_metadata_pairs), at(pairs));
    return md;
  }
  std::map<std::string, size_t> last;
  for (const auto* p : *pairs) {
    MetaPair m;
    m.offset = at(p);
    if (p->key()) {
      m.key = p->key()->str();
      m.key_offset = at(p->key());
    }
    m.code = uint8_t(p->value_type());
    m.kind = meta_kind(md.schema, m.code);
    if (p->value()) m.value_offset = at(p->value());
    if (m.kind != MetaKind::none && m.kind != MetaKind::unknown && !p->value()) m.kind = MetaKind::none;
    decode_value(p, m);
    if (m.kind == MetaKind::unknown)
      add("ttckpt.value_type", Severity::error,
          fmt::format(
              "\"{}\" has union type {}, which {} does not define{}", m.key, m.code, meta_schema_name(md.schema),
              m.code == 18 ? " (18 is TensorValue, a tensor embedded in the metadata on the PR branch: not read)" : ""),
          m.offset + 0, m.key);
    if (auto it = last.find(m.key); it != last.end()) {
      md.pairs[it->second].shadowed = true;
      add("ttckpt.duplicate_key", Severity::warning,
          fmt::format("\"{}\" appears again: tt-train's deserialize keeps this later value", m.key), m.offset, m.key);
    }
    last[m.key] = md.pairs.size();
    md.pairs.push_back(std::move(m));
  }
  return md;
}

namespace {

// The root table, its vtable and the pairs vector look like a flatbuffer's, read with a
// few small reads (detection runs on every input: a weight file must not be read whole).
bool plausible_root(const ByteSource& src) {
  const uint64_t size = src.size();
  auto u32 = [&](uint64_t at, uint32_t& v) { return range_within(at, 4, size) && src.read(at, &v, 4); };
  uint32_t root = 0, soff = 0, head = 0, field = 0, len = 0;
  if (!u32(0, root) || root < 4 || root % 4 != 0 || !u32(root, soff)) return false;
  const int64_t vt = int64_t(root) - int64_t(int32_t(soff));
  if (vt < 0 || vt % 2 != 0 || !u32(uint64_t(vt), head)) return false;
  const uint16_t vsize = uint16_t(head & 0xFFFF), osize = uint16_t(head >> 16);
  if (vsize < 6 || vsize % 2 != 0 || !range_within(uint64_t(vt), vsize, size) || osize < 8) return false;
  uint16_t pairs_at = 0;
  if (!src.read(uint64_t(vt) + 4, &pairs_at, 2) || pairs_at < 4 || pairs_at >= osize) return false;
  const uint64_t slot = uint64_t(root) + pairs_at;
  if (!u32(slot, field) || field == 0 || field % 4 != 0) return false;
  const uint64_t vec = slot + field;
  return u32(vec, len) && len > 0 && range_within(vec, 4 + uint64_t(len) * 4, size);
}

}  // namespace

bool probe_metadata(const ByteSource& src, const OpenLimits& limits) {
  const uint64_t size = src.size();
  if (size < 12 || size > limits.max_flatbuffer_bytes || !plausible_root(src)) return false;
  std::vector<uint8_t> buf(static_cast<size_t>(size));
  if (!src.read(0, buf.data(), buf.size())) return false;
  if (!verify(buf, MetaSchema::current) && !verify(buf, MetaSchema::pr32326)) return false;
  const auto* pairs = flatbuffers::GetRoot<fbm::TTMLData>(buf.data())->pairs();
  if (!pairs || pairs->size() == 0) return false;
  for (const auto* p : *pairs)
    if (!p->key() || p->key()->size() == 0) return false;
  return true;
}

std::optional<std::vector<uint64_t>> shape_of(const MetaPair& p) {
  if ((p.kind != MetaKind::vec_u8 && p.kind != MetaKind::vec_i8) || p.count % 4 != 0 || p.count > 4 * 16 ||
      p.bytes.size() != p.count)
    return std::nullopt;
  std::vector<uint64_t> dims;
  for (size_t i = 0; i < p.bytes.size(); i += 4) {
    uint32_t d;
    std::memcpy(&d, p.bytes.data() + i, 4);
    dims.push_back(d);
  }
  return dims;
}

}  // namespace ckpt::ttml
