// llama_export.py's output, byte for byte: the template transcoded the way Python's
// msgpack.unpack(raw=False) + msgpack.pack round trip re-encodes it, with the Llama
// parameters' data replaced.
#include "llama_export.hpp"

#include <fmt/format.h>

#include <cstring>
#include <optional>
#include <set>

#include "ckpt/canonical.hpp"
#include "msgpack_cursor.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

namespace {

// Python's msgpack.Packer (use_bin_type=True, use_single_float=False): the smallest form
// of each value.
class PyPacker {
 public:
  explicit PyPacker(ByteSink& sink) : sink_(sink) { buf_.reserve(kBuf); }
  void raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    while (n > 0 && ok()) {
      const size_t take = std::min(n, kBuf - buf_.size());
      buf_.insert(buf_.end(), b, b + take);
      b += take;
      n -= take;
      if (buf_.size() == kBuf) flush();
    }
  }
  void byte(uint8_t b) { raw(&b, 1); }
  void be(uint64_t v, int bytes) {
    uint8_t b[8];
    for (int i = 0; i < bytes; ++i) b[i] = uint8_t(v >> (8 * (bytes - 1 - i)));
    raw(b, size_t(bytes));
  }
  void uint(uint64_t v) {
    if (v <= 0x7f)
      byte(uint8_t(v));
    else if (v <= 0xff)
      byte(0xcc), be(v, 1);
    else if (v <= 0xffff)
      byte(0xcd), be(v, 2);
    else if (v <= 0xffffffffull)
      byte(0xce), be(v, 4);
    else
      byte(0xcf), be(v, 8);
  }
  void sint(int64_t v) {
    if (v >= 0) return uint(uint64_t(v));
    if (v >= -32)
      byte(uint8_t(int8_t(v)));
    else if (v >= -128)
      byte(0xd0), be(uint64_t(v), 1);
    else if (v >= -32768)
      byte(0xd1), be(uint64_t(v), 2);
    else if (v >= -2147483648ll)
      byte(0xd2), be(uint64_t(v), 4);
    else
      byte(0xd3), be(uint64_t(v), 8);
  }
  void f64(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    byte(0xcb);
    be(bits, 8);
  }
  void str_head(uint64_t n) {
    if (n < 32)
      byte(uint8_t(0xa0 | n));
    else if (n <= 0xff)
      byte(0xd9), be(n, 1);
    else if (n <= 0xffff)
      byte(0xda), be(n, 2);
    else
      byte(0xdb), be(n, 4);
  }
  void bin_head(uint64_t n) {
    if (n <= 0xff)
      byte(0xc4), be(n, 1);
    else if (n <= 0xffff)
      byte(0xc5), be(n, 2);
    else
      byte(0xc6), be(n, 4);
  }
  void array_head(uint64_t n) {
    if (n < 16)
      byte(uint8_t(0x90 | n));
    else if (n <= 0xffff)
      byte(0xdc), be(n, 2);
    else
      byte(0xdd), be(n, 4);
  }
  void map_head(uint64_t n) {
    if (n < 16)
      byte(uint8_t(0x80 | n));
    else if (n <= 0xffff)
      byte(0xde), be(n, 2);
    else
      byte(0xdf), be(n, 4);
  }
  void flush() {
    if (buf_.empty() || !ok()) return;
    status_ = sink_.write_at(pos_, buf_.data(), buf_.size());
    pos_ += buf_.size();
    buf_.clear();
  }
  bool ok() const { return bool(status_); }
  const Result<bool>& status() const { return status_; }
  uint64_t position() const { return pos_ + buf_.size(); }

 private:
  static constexpr size_t kBuf = size_t(4) << 20;
  ByteSink& sink_;
  std::vector<uint8_t> buf_;
  uint64_t pos_ = 0;
  Result<bool> status_ = true;
};

Error template_error(uint64_t at, const std::string& why) {
  return Error{ErrorCode::convert_input, fmt::format("template, byte {}: {}", at, why), at};
}

// What llama_export.py's tt_to_hf_key maps a key to: the canonical tensors whose values
// fill it (kv_linear: wk then wv), the one with rotary rows, and whether it is a
// vocabulary tensor (padded to the template's rows).
struct Target {
  std::vector<std::string> canonical;
  int rotary = -1;  // index in canonical of the q or k tensor
  int rotary2 = -1;
  bool vocab = false;
  int64_t layer = -1;
};

std::optional<Target> target_of(std::string_view key, bool shared) {
  constexpr std::string_view prefix = "llama/llama/";
  if (!key.starts_with(prefix)) return std::nullopt;
  key.remove_prefix(prefix.size());
  if (key == "tok_emb/weight/value/data") return Target{{"tok_embeddings.weight"}, -1, -1, true};
  if (key == "ln_fc/gamma/value/data") return Target{{"norm.weight"}, -1, -1, false};
  if (key == "fc/weight/value/data") return Target{{shared ? "tok_embeddings.weight" : "output.weight"}, -1, -1, true};
  constexpr std::string_view block = "llama_block_";
  if (!key.starts_with(block)) return std::nullopt;
  key.remove_prefix(block.size());
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash > 9) return std::nullopt;
  int64_t layer = 0;
  for (char ch : key.substr(0, slash)) {
    if (ch < '0' || ch > '9') return std::nullopt;
    layer = layer * 10 + (ch - '0');
  }
  const std::string p = fmt::format("layers.{}.", layer);
  const std::string_view rest = key.substr(slash + 1);
  Target t;
  t.layer = layer;
  if (rest == "attention_norm/gamma/value/data")
    t.canonical = {p + "attention_norm.weight"};
  else if (rest == "mlp_norm/gamma/value/data")
    t.canonical = {p + "ffn_norm.weight"};
  else if (rest == "attention/q_linear/weight/value/data")
    t.canonical = {p + "attention.wq.weight"}, t.rotary = 0;
  else if (rest == "attention/kv_linear/weight/value/data")
    t.canonical = {p + "attention.wk.weight", p + "attention.wv.weight"}, t.rotary = 0;
  else if (rest == "attention/out_linear/weight/value/data")
    t.canonical = {p + "attention.wo.weight"};
  else if (rest == "mlp/w1/weight/value/data")
    t.canonical = {p + "feed_forward.w1.weight"};
  else if (rest == "mlp/w2/weight/value/data")
    t.canonical = {p + "feed_forward.w2.weight"};
  else if (rest == "mlp/w3/weight/value/data")
    t.canonical = {p + "feed_forward.w3.weight"};
  else
    return std::nullopt;
  return t;
}

class Exporter {
 public:
  Exporter(ByteSink& out, const ByteSource& tmpl, const ModelConfig& c, const WeightSource& w,
           const LlamaExportOptions& opt)
      : pk_(out), cur_(tmpl, 0), c_(c), w_(w), opt_(opt) {
    for (auto& t : canonical_llama_tensors(c)) specs_.emplace(t.name, t);
  }

  Result<WriteStats> run() {
    MsgHead h;
    if (read_head(cur_, h) != HeadStatus::ok || h.type != MsgType::map)
      return template_error(0, "not a msgpack map (a tt-train weights dump starts with one)");
    if (h.len > opt_.max_keys) return template_error(0, fmt::format("{} keys, more than the cap", h.len));
    pk_.map_head(h.len);
    std::set<std::string> seen;
    for (uint64_t i = 0; i < h.len; ++i) {
      MsgHead k;
      const uint64_t at = cur_.pos();
      if (read_head(cur_, k) != HeadStatus::ok) return template_error(at, "cut or invalid key");
      if (k.type != MsgType::str) return template_error(at, "a key that is not a string");
      std::vector<uint8_t> key;
      if (k.len > (1u << 20) || !cur_.take(size_t(k.len), key)) return template_error(at, "cut key");
      std::string name(key.begin(), key.end());
      // Python's dict keeps the last value of a repeated key at the first one's place.
      if (!seen.insert(name).second)
        return template_error(at, "key " + name + " is repeated: llama_export.py would keep only the last");
      pk_.str_head(key.size());
      pk_.raw(key.data(), key.size());
      auto t = target_of(name, c_.shared_classifier);
      if (t) {
        auto r = replace(name, *t);
        if (!r) return r.error();
      } else if (auto r = transcode(0); !r) {
        return r.error();
      }
      if (!pk_.ok()) return pk_.status().error();
    }
    pk_.flush();
    if (!pk_.ok()) return pk_.status().error();
    WriteStats s;
    s.bytes = pk_.position();
    s.notes = std::move(notes_);
    return s;
  }

 private:
  // One value of the template, re-encoded as Python packs what it unpacked.
  Result<bool> transcode(size_t depth) {
    if (depth > opt_.max_depth) return template_error(cur_.pos(), "nested deeper than the cap");
    MsgHead h;
    const uint64_t at = cur_.pos();
    if (read_head(cur_, h) != HeadStatus::ok) return template_error(at, "cut or invalid value");
    switch (h.type) {
      case MsgType::nil:
        pk_.byte(0xc0);
        return true;
      case MsgType::boolean:
        pk_.byte(h.b ? 0xc3 : 0xc2);
        return true;
      case MsgType::uint:
        pk_.uint(h.u);
        return true;
      case MsgType::sint:
        pk_.sint(h.i);
        return true;
      case MsgType::f32:
      case MsgType::f64:
        pk_.f64(h.d);
        return true;
      case MsgType::str:
      case MsgType::bin: {
        if (h.type == MsgType::str)
          pk_.str_head(h.len);
        else
          pk_.bin_head(h.len);
        return copy_bytes(h.len, at);
      }
      case MsgType::array:
        pk_.array_head(h.len);
        for (uint64_t i = 0; i < h.len; ++i)
          if (auto r = transcode(depth + 1); !r) return r;
        return true;
      case MsgType::map:
        pk_.map_head(h.len);
        for (uint64_t i = 0; i < 2 * h.len; ++i)
          if (auto r = transcode(depth + 1); !r) return r;
        return true;
      default:
        return template_error(at, std::string(msg_type_name(h.type)) + " values are not in tt-train dumps");
    }
  }

  Result<bool> copy_bytes(uint64_t n, uint64_t at) {
    if (n > cur_.remaining()) return template_error(at, "bytes past the end of the file");
    while (n > 0) {
      const size_t chunk = size_t(std::min<uint64_t>(n, 1u << 16));
      if (!cur_.need(chunk)) return template_error(at, "cannot read the bytes");
      pk_.raw(cur_.data(), chunk);
      cur_.advance(chunk);
      n -= chunk;
    }
    return true;
  }

  // A Llama parameter: [variant, data] with the data replaced by the model's values.
  Result<bool> replace(const std::string& key, const Target& t) {
    MsgHead h;
    uint64_t at = cur_.pos();
    if (read_head(cur_, h) != HeadStatus::ok || h.type != MsgType::array || h.len != 2)
      return template_error(at, key + ": not a [type, value] pair");
    pk_.array_head(2);
    if (auto r = transcode(1); !r) return r;
    at = cur_.pos();
    if (read_head(cur_, h) != HeadStatus::ok || h.type != MsgType::array)
      return template_error(at, key + ": the value is not an array of numbers");
    const uint64_t stored = h.len;
    if (auto r = skip_numbers(stored, at, key); !r) return r;
    uint64_t numel = 0, cols = 0;
    for (const auto& name : t.canonical) {
      auto it = specs_.find(name);
      if (it == specs_.end())
        return Error{ErrorCode::convert_input,
                     fmt::format("{}: the model has no {} (llama_export.py fails on it too)", key, name),
                     {}};
      numel += it->second.numel;
      cols = it->second.shape.back();
    }
    // Vocabulary tensors are padded with zero rows up to the template's size; every other
    // one must match it exactly.
    if (t.vocab ? (stored < numel || cols == 0 || stored % cols != 0) : stored != numel)
      return template_error(at, fmt::format("{}: {} values in the template, the model gives {}", key, stored, numel));
    pk_.array_head(stored);
    for (size_t k = 0; k < t.canonical.size(); ++k) {
      auto r = emit_tensor(specs_.at(t.canonical[k]), int(k) == t.rotary && opt_.meta_style);
      if (!r) return r;
    }
    for (uint64_t i = numel; i < stored; ++i) pk_.f64(0.0);
    if (stored > numel)
      notes_.push_back(fmt::format(
          "{}: padded {} to the template's {} rows with zeros, as llama_export.py's padding code intends (the script "
          "itself stops earlier, asserting equal sizes)",
          key, numel / cols, stored / cols));
    return true;
  }

  Result<bool> skip_numbers(uint64_t n, uint64_t at, const std::string& key) {
    for (uint64_t i = 0; i < n; ++i) {
      MsgHead e;
      if (read_head(cur_, e) != HeadStatus::ok || !e.is_number())
        return template_error(at, key + ": element " + std::to_string(i) + " is not a number");
    }
    return true;
  }

  // One canonical tensor as float64, its rows put back into Hugging Face's rotary layout
  // (head by head) when asked.
  Result<bool> emit_tensor(const TensorSpec& spec, bool hf_rotary) {
    const uint64_t cols = spec.shape.back(), hs = uint64_t(c_.head_size());
    const uint64_t block = hs * cols;
    std::vector<float> head;
    auto n = w_.values(spec, [&](uint64_t, const float* v, size_t k) {
      if (!hf_rotary) {
        for (size_t i = 0; i < k; ++i) pk_.f64(double(v[i]));
        return pk_.ok();
      }
      for (size_t i = 0; i < k; ++i) {
        head.push_back(v[i]);
        if (head.size() < block) continue;
        // Hugging Face row k*hs/2 + i is canonical row 2i + k.
        for (uint64_t r = 0; r < hs; ++r) {
          const uint64_t src = r < hs / 2 ? 2 * r : 2 * (r - hs / 2) + 1;
          for (uint64_t col = 0; col < cols; ++col) pk_.f64(double(head[src * cols + col]));
        }
        head.clear();
      }
      return pk_.ok();
    });
    if (!n) return n.error();
    if (!pk_.ok()) return pk_.status().error();
    if (*n != spec.numel || !head.empty())
      return Error{
          ErrorCode::write_source, fmt::format("{}: the source gave {} values of {}", spec.name, *n, spec.numel), {}};
    return true;
  }

  PyPacker pk_;
  MsgCursor cur_;
  const ModelConfig& c_;
  const WeightSource& w_;
  const LlamaExportOptions& opt_;
  std::map<std::string, TensorSpec> specs_;
  std::vector<std::string> notes_;
};

}  // namespace

Result<WriteStats> write_llama_export(ByteSink& out, const ByteSource& tmpl, const ModelConfig& c,
                                      const WeightSource& w, const LlamaExportOptions& opt) {
  if (c.n_heads <= 0 || c.dim % c.n_heads != 0 || c.head_size() % 2 != 0)
    return Error{ErrorCode::convert_input, "the rotary layout needs an even head size", {}};
  Exporter e(out, tmpl, c, w, opt);
  return e.run();
}

}  // namespace ckpt::ttml
