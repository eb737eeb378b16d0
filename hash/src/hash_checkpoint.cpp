#include <algorithm>
#include <thread>
#include <vector>

#include "ckpt/hash.hpp"
#include "ckpt/tensor_stream.hpp"

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

bool is_rope(const TensorInfo& t) { return t.spec.name == "freqs_cos" || t.spec.name == "freqs_sin"; }

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

Result<bool> hash_tensor(const ByteSource& src, const Checkpoint& cp, const TensorInfo& t, HashMode mode, Hasher& h,
                         std::vector<uint8_t>& buf) {
  if (mode == HashMode::stored) {
    auto r = hash_range(src, t.place.offset, t.place.nbytes, h, buf);
    if (!r || t.place.scale_nbytes == 0) return r;
    return hash_range(src, t.place.scale_offset, t.place.scale_nbytes, h, buf);
  }
  auto r = stream_f32(src, cp, t, [&](uint64_t, const float* v, size_t n) {
    h.update(v, n * sizeof(float));  // little-endian host: the fp32 bytes as a v0 file stores them
    return true;
  });
  if (!r) return r.error();
  return true;
}

}  // namespace

Result<HashReport> hash_checkpoint(const ByteSource& src, const Checkpoint& cp, HashAlgo algo, HashMode mode,
                                   unsigned threads) {
  HashReport rep;
  rep.file = cp.path;
  rep.format = cp.format;
  rep.algo = algo;
  rep.mode = mode;
  std::vector<const TensorInfo*> order;
  for (const auto& t : cp.tensors) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return canonical_rank(display_name(*a)) < canonical_rank(display_name(*b));
  });
  rep.tensors.resize(order.size());
  bool all_complete = true;
  for (size_t i = 0; i < order.size(); ++i) {
    rep.tensors[i].name = display_name(*order[i]);
    rep.tensors[i].status = std::string(tensor_status_name(order[i]->status));
    if (!is_rope(*order[i])) all_complete &= order[i]->status == TensorStatus::complete;
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
      for (const TensorInfo* t : order)
        if (r && !is_rope(*t) && t->status == TensorStatus::complete) r = hash_tensor(src, cp, *t, mode, *h, buf);
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
      if (order[i]->status != TensorStatus::complete) continue;
      auto h = make_hasher(algo);
      auto r = hash_tensor(src, cp, *order[i], mode, *h, buf);
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
