#include <algorithm>
#include <thread>
#include <vector>

#include "ckpt/hash.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/ttml.hpp"

namespace ckpt {

std::pair<int64_t, std::string> canonical_rank(const std::string& name) {
  static const char* const kLayerKinds[] = {
      "attention_norm.weight", "attention.wq.weight",    "attention.wk.weight",    "attention.wv.weight",
      "attention.wo.weight",   "ffn_norm.weight",        "feed_forward.w1.weight", "feed_forward.w2.weight",
      "feed_forward.w3.weight"};
  constexpr int64_t kAfterLayers = int64_t(1) << 40;
  if (name == "tok_embeddings.weight") return {0, ""};
  if (name.rfind("layers.", 0) == 0) {
    const size_t dot = name.find('.', 7);
    if (dot != std::string::npos) {
      int64_t layer = 0;
      bool digits = dot > 7;
      for (size_t i = 7; i < dot && digits; ++i) {
        digits = name[i] >= '0' && name[i] <= '9';
        layer = layer * 10 + (name[i] - '0');
        if (layer > (int64_t(1) << 30)) digits = false;
      }
      const std::string kind = name.substr(dot + 1);
      for (int64_t k = 0; k < 9 && digits; ++k)
        if (kind == kLayerKinds[k]) return {1 + layer * 16 + k, ""};
    }
  }
  if (name == "norm.weight") return {kAfterLayers, ""};
  if (name == "output.weight") return {kAfterLayers + 1, ""};
  if (name == "freqs_cos") return {kAfterLayers + 2, ""};
  if (name == "freqs_sin") return {kAfterLayers + 3, ""};
  return {kAfterLayers * 2, name};
}

namespace {

constexpr size_t kChunk = size_t(4) << 20;

const std::string& display_name(const TensorInfo& t) { return t.alt_name.empty() ? t.spec.name : t.alt_name; }

// What one hash line covers: a tensor, or (values mode, tt-train) a row range of one.
struct Item {
  std::string name;
  const TensorInfo* t = nullptr;
  uint64_t first = 0, count = 0;  // element range; count 0 = the whole tensor
};

bool is_rope(const Item& i) { return is_rope_table(i.name); }

std::vector<Item> hash_items(const Checkpoint& cp, HashMode mode, std::optional<uint64_t> vocab_rows) {
  std::vector<Item> items;
  if (mode == HashMode::values && cp.format == Format::ttml_msgpack) {
    auto views = ttml_canonical_views(cp);
    std::vector<const TensorInfo*> covered;
    for (const auto& v : views) {
      const TensorInfo* t = nullptr;
      for (const auto& x : cp.tensors)
        if (x.spec.name == v.source) t = &x;
      if (!t) continue;
      covered.push_back(t);
      uint64_t rows = v.rows;
      const bool vocab = v.name == "tok_embeddings.weight" || v.name == "output.weight";
      if (vocab && vocab_rows && *vocab_rows < rows) rows = *vocab_rows;
      items.push_back({v.name, t, v.row_begin * v.cols, rows * v.cols});
    }
    for (const auto& t : cp.tensors)
      if (std::find(covered.begin(), covered.end(), &t) == covered.end()) items.push_back({t.spec.name, &t, 0, 0});
  } else {
    for (const auto& t : cp.tensors) items.push_back({display_name(t), &t, 0, 0});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return canonical_rank(a.name) < canonical_rank(b.name); });
  return items;
}

Result<bool> hash_range(const ByteSource& src, uint64_t off, uint64_t n, Hasher& h, std::vector<uint8_t>& buf) {
  buf.resize(size_t(std::min<uint64_t>(kChunk, std::max<uint64_t>(n, 1))));
  for (uint64_t done = 0; done < n;) {
    const size_t k = size_t(std::min<uint64_t>(buf.size(), n - done));
    if (!src.read(off + done, buf.data(), k))
      return Error{"io.read", "cannot read " + src.name() + " at byte " + std::to_string(off + done), off + done};
    h.update(buf.data(), k);
    done += k;
  }
  return true;
}

Result<bool> hash_tensor(const ByteSource& src, const Checkpoint& cp, const Item& item, HashMode mode, Hasher& h,
                         std::vector<uint8_t>& buf) {
  const TensorInfo& t = *item.t;
  if (mode == HashMode::stored) {
    auto r = hash_range(src, t.place.offset, t.place.nbytes, h, buf);
    if (!r || t.place.scale_nbytes == 0) return r;
    return hash_range(src, t.place.scale_offset, t.place.scale_nbytes, h, buf);
  }
  const uint64_t lo = item.first, hi = item.count ? item.first + item.count : UINT64_MAX;
  auto r = stream_f32(src, cp, t, [&](uint64_t first, const float* v, size_t n) {
    // Only the item's element range (a row range for tt-train views).
    const uint64_t a = std::max(first, lo), b = std::min<uint64_t>(first + n, hi);
    if (a < b) h.update(v + (a - first), size_t(b - a) * sizeof(float));  // little-endian: v0's bytes
    return first + n < hi;
  });
  if (!r) return r.error();
  return true;
}

}  // namespace

Result<HashReport> hash_checkpoint(const ByteSource& src, const Checkpoint& cp, HashAlgo algo, HashMode mode,
                                   unsigned threads, std::optional<uint64_t> vocab_rows) {
  HashReport rep;
  rep.file = cp.path;
  rep.format = cp.format;
  rep.algo = algo;
  rep.mode = mode;
  const std::vector<Item> order = hash_items(cp, mode, vocab_rows);
  rep.tensors.resize(order.size());
  bool all_complete = true;
  for (size_t i = 0; i < order.size(); ++i) {
    rep.tensors[i].name = order[i].name;
    rep.tensors[i].status = std::string(tensor_status_name(order[i].t->status));
    if (!is_rope(order[i])) all_complete &= order[i].t->status == TensorStatus::complete;
  }

  // One job hashes the model (the whole file, or every weight tensor's values in
  // canonical order), the other every tensor: two streams over the page cache, one per core.
  Error failure{};
  bool failed = false;
  auto model_job = [&] {
    auto h = make_hasher(algo);
    std::vector<uint8_t> buf;
    Result<bool> r = true;
    if (mode == HashMode::stored) {
      r = hash_range(src, 0, src.size(), *h, buf);
    } else {
      for (const Item& it : order)
        if (r && !is_rope(it) && it.t->status == TensorStatus::complete) r = hash_tensor(src, cp, it, mode, *h, buf);
    }
    if (!r) {
      failed = true;
      failure = r.error();
    }
    rep.model_hex = (mode == HashMode::values && !all_complete) ? "" : h->hex_digest();
  };
  Error tensor_failure{};
  bool tensor_failed = false;
  auto tensor_job = [&] {
    std::vector<uint8_t> buf;
    for (size_t i = 0; i < order.size(); ++i) {
      if (order[i].t->status != TensorStatus::complete) continue;
      auto h = make_hasher(algo);
      auto r = hash_tensor(src, cp, order[i], mode, *h, buf);
      if (!r) {
        tensor_failed = true;
        tensor_failure = r.error();
        return;
      }
      rep.tensors[i].hex = h->hex_digest();
    }
  };
  if (threads >= 2) {
    std::thread other(model_job);
    tensor_job();
    other.join();
  } else {
    model_job();
    tensor_job();
  }
  if (failed) return failure;
  if (tensor_failed) return tensor_failure;
  return rep;
}

}  // namespace ckpt
