// The tt-train msgpack reference writer. msgpack-c's own packer encodes every value, as
// tt-train's MsgPackFile does, so number encodings (integral floats as integers, others
// as float32; the smallest integer forms) are msgpack-c's by construction.
#include <cstring>
#include <map>
#include <msgpack.hpp>

#include "ckpt/canonical.hpp"
#include "llama_params.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

namespace {

// msgpack-c's packer writes into any type with write(const char*, size_t): this one
// buffers 4 MiB and hands full buffers to the sink, remembering the first error.
class SinkStream {
 public:
  explicit SinkStream(ByteSink& sink) : sink_(sink) { buf_.reserve(kBuf); }
  void write(const char* p, size_t n) {
    while (n > 0 && status_) {
      const size_t take = std::min(n, kBuf - buf_.size());
      buf_.insert(buf_.end(), p, p + take);
      p += take;
      n -= take;
      if (buf_.size() == kBuf) flush();
    }
  }
  void flush() {
    if (buf_.empty() || !status_) return;
    status_ = sink_.write_at(pos_, buf_.data(), buf_.size());
    pos_ += buf_.size();
    buf_.clear();
  }
  const Result<bool>& status() const { return status_; }
  uint64_t position() const { return pos_ + buf_.size(); }

 private:
  static constexpr size_t kBuf = size_t(4) << 20;
  ByteSink& sink_;
  std::vector<char> buf_;
  uint64_t pos_ = 0;
  Result<bool> status_ = true;
};

// The variant indices of MsgPackFile's value type (2025 table).
enum Variant : unsigned { kBool = 0, kInt = 2, kVecFloat = 10, kVecU8 = 12 };

using Segment = ParamSegment;

struct Item {
  enum Kind { shape, integer, boolean, data } kind;
  std::vector<uint32_t> dims;
  int value = 0;
  std::vector<Segment> segments;
  uint64_t zeros = 0;
};

// Every key of the file with what it holds, ordered byte-wise (std::map on std::string).
std::map<std::string, Item> file_items(const ModelConfig& c, const std::string& prefix) {
  std::map<std::string, Item> items;
  for (auto& p : plan_llama_params(c)) {
    const std::string t = prefix + "/" + p.name;
    // tt-train's own reader accepts only bfloat16 and uint32 tensors: data_type 0
    // (bfloat16) with full fp32 values in the array, layout 1 (tile), storage 1 (device).
    items[t + "/value/shape"] = Item{Item::shape, p.dims, 0, {}, 0};
    items[t + "/value/data_type"] = Item{Item::integer, {}, 0, {}, 0};
    items[t + "/value/layout"] = Item{Item::integer, {}, 1, {}, 0};
    items[t + "/value/storage_type"] = Item{Item::integer, {}, 1, {}, 0};
    items[t + "/value/data"] = Item{Item::data, {}, 0, std::move(p.segments), p.zeros};
    items[t + "/requires_grads"] = Item{Item::boolean, {}, 1, {}, 0};
    items[t + "/has_grads"] = Item{Item::boolean, {}, 0, {}, 0};
  }
  return items;
}

// Elements of a data array: its canonical tensors and the padding zeros.
uint64_t data_elements(const Item& it) {
  uint64_t total = it.zeros;
  for (const auto& s : it.segments) total += s.numel;
  return total;
}

Result<bool> pack_data(msgpack::packer<SinkStream>& pk, SinkStream& st, const Item& it, const WeightSource& w) {
  pk.pack_array(uint32_t(data_elements(it)));  // checked below 2^32 before writing began
  for (const auto& s : it.segments) {
    TensorSpec spec;
    spec.name = s.canonical;
    spec.numel = s.numel;
    auto n = w.values(spec, [&](uint64_t, const float* v, size_t k) {
      for (size_t i = 0; i < k; ++i) pk.pack_float(v[i]);
      return bool(st.status());
    });
    if (!n) return n.error();
    if (!st.status()) return st.status();
    if (*n != s.numel)
      return Error{ErrorCode::write_source,
                   s.canonical + ": source gave " + std::to_string(*n) + " values, expected " + std::to_string(s.numel),
                   {}};
  }
  for (uint64_t i = 0; i < it.zeros; ++i) pk.pack_float(0.0f);
  return true;
}

}  // namespace

Result<WriteStats> write_llama_msgpack(ByteSink& out, const ModelConfig& c, const WeightSource& w,
                                       const std::string& prefix) {
  if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.vocab_size <= 0 ||
      c.dim % c.n_heads != 0)
    return Error{ErrorCode::layout_config, "the config cannot describe a Llama model", {}};
  const auto items = file_items(c, prefix);
  // A msgpack array holds at most 2^32 - 1 elements: refuse before writing anything.
  for (const auto& [key, it] : items)
    if (it.kind == Item::data && data_elements(it) > UINT32_MAX)
      return Error{ErrorCode::write_size, key + ": more than 2^32 - 1 elements cannot be one msgpack array", {}};
  SinkStream st(out);
  msgpack::packer<SinkStream> pk(st);
  pk.pack_map(uint32_t(items.size()));
  for (const auto& [key, it] : items) {
    pk.pack(key);
    pk.pack_array(2);
    switch (it.kind) {
      case Item::shape: {
        pk.pack(unsigned(kVecU8));
        std::vector<uint8_t> bytes(it.dims.size() * 4);
        for (size_t i = 0; i < it.dims.size(); ++i) std::memcpy(&bytes[i * 4], &it.dims[i], 4);  // LE host
        pk.pack_bin(uint32_t(bytes.size()));
        pk.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), uint32_t(bytes.size()));
        break;
      }
      case Item::integer:
        pk.pack(unsigned(kInt));
        pk.pack(it.value);
        break;
      case Item::boolean:
        pk.pack(unsigned(kBool));
        pk.pack(it.value != 0);
        break;
      case Item::data: {
        pk.pack(unsigned(kVecFloat));
        auto r = pack_data(pk, st, it, w);
        if (!r) return r.error();
        break;
      }
    }
    if (!st.status()) return st.status().error();
  }
  st.flush();
  if (!st.status()) return st.status().error();
  WriteStats stats;
  stats.bytes = st.position();
  return stats;
}

}  // namespace ckpt::ttml
