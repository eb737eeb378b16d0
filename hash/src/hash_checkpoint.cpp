#include <algorithm>
#include <thread>
#include <vector>

#include "ckpt/canonical.hpp"
#include "ckpt/hash.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/views.hpp"

namespace ckpt {

namespace {

constexpr size_t kChunk = size_t(4) << 20;

// What one hash line covers: a tensor, or (values mode) a canonical view of one.
struct Item {
  std::string name;
  const TensorInfo* t = nullptr;
  uint64_t first = 0, count = 0;        // element range; count 0 = the whole tensor
  const CanonicalView* view = nullptr;  // values mode: read through it when not simple
  TensorStatus status = TensorStatus::complete;
};

bool is_rope(const Item& i) { return is_rope_table(i.name); }

// A view is complete when every stored tensor it reads is.
TensorStatus view_status(const Checkpoint& cp, const CanonicalView& v) {
  TensorStatus s = cp.tensors[v.tensor].status;
  for (size_t i : v.shards)
    if (cp.tensors[i].status != TensorStatus::complete) s = cp.tensors[i].status;
  return s;
}

std::vector<Item> hash_items(const Checkpoint& cp, const std::vector<CanonicalView>& views, HashMode mode,
                             std::optional<uint64_t> vocab_rows) {
  std::vector<Item> items;
  if (mode == HashMode::values) {
    // Layout-independent: the canonical tensors, whatever stores them. Optimizer state,
    // buffers and the like are not the model's weights; a shared classifier is the
    // embedding, however many names the file gives it (train.py's state_dict has both).
    const bool shared = cp.config && cp.config->shared_classifier;
    for (const auto& v : views) {
      if (!v.canonical || (shared && v.name == "output.weight")) continue;
      uint64_t rows = v.shape.size() >= 2 ? v.shape[0] : 1;
      if (is_vocab_tensor(v.name) && vocab_rows && *vocab_rows < rows) rows = *vocab_rows;
      const uint64_t count = v.shape.size() >= 2 ? rows * v.cols() : v.numel;
      items.push_back({v.name, &cp.tensors[v.tensor], v.elem_offset(), count, &v, view_status(cp, v)});
    }
  } else {
    // The bytes as stored: one line per stored tensor, under its canonical name(s).
    for (size_t i = 0; i < cp.tensors.size(); ++i) {
      const std::string joined = canonical_names_of(views, i, cp.tensors[i].spec.name);
      items.push_back(
          {joined.empty() ? cp.tensors[i].spec.name : joined, &cp.tensors[i], 0, 0, nullptr, cp.tensors[i].status});
    }
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
      return Error{ErrorCode::io_read, "cannot read " + src.name() + " at byte " + std::to_string(off + done),
                   off + done};
    h.update(buf.data(), k);
    done += k;
  }
  return true;
}

Result<bool> hash_tensor(const Checkpoint& cp, const Item& item, HashMode mode, Hasher& h, std::vector<uint8_t>& buf) {
  const TensorInfo& t = *item.t;
  if (mode == HashMode::stored) {
    const ByteSource& src = cp.source(t.place.source);
    auto r = hash_range(src, t.place.offset, t.place.nbytes, h, buf);
    if (!r || t.place.scale_nbytes == 0) return r;
    return hash_range(src, t.place.scale_offset, t.place.scale_nbytes, h, buf);
  }
  if (item.view && !item.view->simple()) {
    auto r = stream_view_f32(cp, *item.view, 0, item.count, [&](uint64_t, const float* v, size_t n) {
      h.update(v, n * sizeof(float));
      return true;
    });
    if (!r) return r.error();
    return true;
  }
  const uint64_t lo = item.first, hi = item.count ? item.first + item.count : UINT64_MAX;
  auto r = stream_f32(cp, t, [&](uint64_t first, const float* v, size_t n) {
    // Only the item's element range (a row range for tt-train views).
    const uint64_t a = std::max(first, lo), b = std::min<uint64_t>(first + n, hi);
    if (a < b) h.update(v + (a - first), size_t(b - a) * sizeof(float));  // little-endian: v0's bytes
    return first + n < hi;
  });
  if (!r) return r.error();
  return true;
}

}  // namespace

Result<HashReport> hash_checkpoint(const Checkpoint& cp, HashAlgo algo, HashMode mode, unsigned threads,
                                   std::optional<uint64_t> vocab_rows) {
  HashReport rep;
  rep.file = cp.path;
  rep.format = cp.format;
  rep.algo = algo;
  rep.mode = mode;
  const auto views = canonical_views(cp);
  const std::vector<Item> order = hash_items(cp, views, mode, vocab_rows);
  rep.tensors.resize(order.size());
  bool all_complete = true;
  for (size_t i = 0; i < order.size(); ++i) {
    rep.tensors[i].name = order[i].name;
    rep.tensors[i].status = std::string(tensor_status_name(order[i].status));
    if (!is_rope(order[i])) all_complete &= order[i].status == TensorStatus::complete;
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
      // The file itself (sha256 of it equals sha256sum's); a folder's files one after another.
      for (size_t i = 0; i < cp.file_count && r; ++i) r = hash_range(cp.source(i), 0, cp.source(i).size(), *h, buf);
    } else {
      for (const Item& it : order)
        if (r && !is_rope(it) && it.status == TensorStatus::complete) r = hash_tensor(cp, it, mode, *h, buf);
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
      if (order[i].status != TensorStatus::complete) continue;
      auto h = make_hasher(algo);
      auto r = hash_tensor(cp, order[i], mode, *h, buf);
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
