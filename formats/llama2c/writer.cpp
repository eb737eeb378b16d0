// The llama2.c reference writer: every layout from a config and fp32 weights, byte for
// byte what export.py writes. Positions come from the layout tables.
#include "writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>

#include "ckpt/le.hpp"
#include "ckpt/quant.hpp"
#include "ckpt/rope.hpp"
#include "formats.hpp"
#include "layout.hpp"

namespace ckpt::llama2c {

namespace {

// Buffers sequential writes to one region of the output (fp32 data, int8 data, or a
// scale array) and flushes them with positional writes.
class RegionWriter {
 public:
  // `length` is the region's size: small regions get small buffers.
  RegionWriter(ByteSink& sink, uint64_t start, uint64_t length)
      : sink_(sink), pos_(start), cap_(size_t(std::min<uint64_t>(kBuf, std::max<uint64_t>(length, 1)))) {
    buf_.reserve(cap_);
  }
  Result<bool> put(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (n > 0) {
      const size_t take = std::min(n, cap_ - buf_.size());
      buf_.insert(buf_.end(), p, p + take);
      p += take;
      n -= take;
      if (buf_.size() == cap_) {
        auto r = flush();
        if (!r) return r;
      }
    }
    return true;
  }
  Result<bool> flush() {
    if (buf_.empty()) return true;
    auto r = sink_.write_at(pos_, buf_.data(), buf_.size());
    pos_ += buf_.size();
    buf_.clear();
    return r;
  }
  uint64_t position() const { return pos_ + buf_.size(); }

 private:
  static constexpr size_t kBuf = size_t(4) << 20;
  ByteSink& sink_;
  uint64_t pos_;
  size_t cap_;
  std::vector<uint8_t> buf_;
};

Error count_error(const TensorSpec& spec, uint64_t got) {
  return Error{
      ErrorCode::write_source,
      spec.name + ": source gave " + std::to_string(got) + " values, the layout needs " + std::to_string(spec.numel),
      {}};
}

Result<bool> write_f32(ByteSink& out, const TensorSpec& spec, const Placement& p, const WeightSource& w) {
  RegionWriter rw(out, p.offset, p.nbytes);
  Result<bool> status = true;
  auto n = w.values(spec, [&](uint64_t, const float* v, size_t k) {
    status = rw.put(v, k * 4);  // little-endian host: fp32 bytes as stored
    return bool(status);
  });
  if (!n) return n.error();
  if (!status) return status;
  if (*n != spec.numel) return count_error(spec, *n);
  return rw.flush();
}

Result<bool> write_rope(ByteSink& out, const ModelConfig& c, const TensorSpec& spec, const Placement& p) {
  const int64_t head_size = c.head_size(), half = head_size / 2;
  RegionWriter rw(out, p.offset, p.nbytes);
  const bool is_sin = spec.name == "freqs_sin";
  const int64_t kRows = std::min<int64_t>(1024, std::max<int64_t>(1, c.seq_len));
  std::vector<float> cosv(size_t(kRows * half)), sinv(size_t(kRows * half));
  for (int64_t pos = 0; pos < c.seq_len; pos += kRows) {
    const int64_t rows = std::min(kRows, c.seq_len - pos);
    rope_tables(head_size, pos, rows, cosv.data(), sinv.data(), c.seq_len);
    auto r = rw.put(is_sin ? sinv.data() : cosv.data(), size_t(rows * half) * 4);
    if (!r) return r;
  }
  return rw.flush();
}

// Below this many groups a batch is quantized on one thread (a thread costs more).
constexpr size_t kParallelGroups = 4096;

Result<bool> write_q8(ByteSink& out, const TensorSpec& spec, const Placement& p, size_t gs, const WeightSource& w,
                      WriteStats& stats) {
  RegionWriter qw(out, p.offset, p.nbytes), sw(out, p.scale_offset, p.scale_nbytes);
  Result<bool> status = true;
  if (w.has_raw_q8(spec, int64_t(gs))) {
    auto n = w.raw_q8(spec, [&](const Q8Chunk& c) {
      if (status) status = qw.put(c.q, c.n_groups * c.group_size);
      if (status) status = sw.put(c.scales, c.n_groups * 4);
      return bool(status);
    });
    if (!n) return n.error();
    if (!status) return status;
    if (*n * gs != spec.numel) return count_error(spec, *n * gs);
    ++stats.copied_q8;
  } else {
    // The source's chunks need not align with groups: gather whole groups first.
    const size_t groups_per_batch = size_t(
        std::min<uint64_t>(std::max<size_t>(1, kDefaultChunkElems / gs), std::max<uint64_t>(1, spec.numel / gs)));
    std::vector<float> pending;
    pending.reserve(groups_per_batch * gs);
    // Uninitialised scratch (quantize_q8_0 writes every element it returns).
    std::unique_ptr<int8_t[]> q(new int8_t[groups_per_batch * gs]);
    std::unique_ptr<float[]> s(new float[groups_per_batch]);
    auto emit = [&](size_t n_groups) {
      // Both cores: the second half of the batch on a helper thread (groups are
      // independent, so the bytes are the same either way).
      const size_t half = n_groups >= kParallelGroups ? n_groups / 2 : 0;
      float err_hi = 0.0f;
      std::thread hi;
      if (half)
        hi = std::thread([&] {
          err_hi = quantize_q8_0(pending.data() + half * gs, n_groups - half, gs, q.get() + half * gs, s.get() + half);
        });
      const float err_lo = quantize_q8_0(pending.data(), half ? half : n_groups, gs, q.get(), s.get());
      if (half) hi.join();
      stats.max_quant_error = std::max({stats.max_quant_error, err_lo, err_hi});
      if (status) status = qw.put(q.get(), n_groups * gs);
      if (status) status = sw.put(s.get(), n_groups * 4);
      pending.clear();
    };
    auto n = w.values(spec, [&](uint64_t, const float* v, size_t k) {
      while (k > 0) {
        const size_t take = std::min(k, pending.capacity() - pending.size());
        pending.insert(pending.end(), v, v + take);
        v += take;
        k -= take;
        if (pending.size() == pending.capacity()) emit(groups_per_batch);
      }
      return bool(status);
    });
    if (!n) return n.error();
    if (*n != spec.numel) return count_error(spec, *n);
    if (!pending.empty()) emit(pending.size() / gs);  // numel % gs == 0 was checked
    if (!status) return status;
  }
  auto r = qw.flush();
  if (!r) return r;
  return sw.flush();
}

}  // namespace

std::vector<uint8_t> header_bytes(Format f, const ModelConfig& c) {
  std::vector<uint8_t> h(size_t(header_size(f)), 0);
  for (const auto& field : header_fields(f)) {
    const int64_t v = field.encode(f, c);
    if (field.size == 1)
      h[field.offset] = uint8_t(v);
    else
      store_u32(h.data() + field.offset, uint32_t(v));
  }
  return h;
}

Result<WriteStats> write_llama2c(ByteSink& out, Format f, const ModelConfig& c, const WeightSource& w,
                                 int64_t max_layers) {
  auto layout = build_layout(f, c, max_layers);
  if (!layout) return layout.error();
  if (is_q8(f)) {
    for (const auto& t : layout->tensors)
      if (t.dtype == DType::q8_0 && t.numel % uint64_t(c.group_size) != 0)
        return Error{ErrorCode::write_group_size,
                     t.name + " has " + std::to_string(t.numel) + " elements, not a multiple of the group size " +
                         std::to_string(c.group_size),
                     {}};
  }
  WriteStats stats;
  const auto header = header_bytes(f, c);
  auto r = out.write_at(0, header.data(), header.size());
  if (!r) return r.error();
  for (size_t i = 0; i < layout->tensors.size(); ++i) {
    const auto& spec = layout->tensors[i];
    const auto& place = layout->places[i];
    if (is_rope_table(spec.name))
      r = write_rope(out, c, spec, place);
    else if (spec.dtype == DType::f32)
      r = write_f32(out, spec, place, w);
    else
      r = write_q8(out, spec, place, size_t(c.group_size), w, stats);
    if (!r) return r.error();
  }
  stats.bytes = layout->total_size;
  return stats;
}

}  // namespace ckpt::llama2c
