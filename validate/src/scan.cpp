// The data scan: every tensor's present bytes, cut into chunks of about 4 MiB that the
// scan threads take in turn (so one large tensor is split across both cores), each chunk
// read once into a per-thread buffer and checked by the kernels of scan_kernels.hpp.
// Memory: one chunk buffer per thread plus a small result per chunk, whatever the file size.
#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "ckpt/scan_kernels.hpp"
#include "ckpt/tensor_stream.hpp"
#include "rules.hpp"

namespace ckpt::validation {

namespace {

// Below this much data one thread is faster than starting another.
constexpr uint64_t kParallelBytes = uint64_t(16) << 20;

enum class Kind { f32, rope, q8, streamed };

struct Item {
  size_t tensor;
  Kind kind;
  uint64_t begin, end;  // elements (f32, rope) or groups (q8); whole tensor for streamed
};

// What the kernels found in one item, with indices already made relative to the tensor.
struct Partial {
  F32Check f;
  Q8Check q;
  RopeCheck r;
  Bf16Check b;
  std::optional<uint64_t> read_failed_at;
  uint64_t bytes = 0;
  std::vector<Finding> encoded;  // what the family saw in stored bytes (tile padding, block exponents)
};

void shift(std::optional<uint64_t>& idx, uint64_t by) {
  if (idx) *idx += by;
}

void merge(Partial& into, const Partial& p) {
  into.f.nonfinite += p.f.nonfinite;
  into.f.nan += p.f.nan;
  if (!into.f.first_nonfinite) into.f.first_nonfinite = p.f.first_nonfinite;
  into.f.all_zero &= p.f.all_zero;
  into.q.scale_nonfinite += p.q.scale_nonfinite;
  if (!into.q.first_scale_nonfinite) into.q.first_scale_nonfinite = p.q.first_scale_nonfinite;
  into.q.scale_bad += p.q.scale_bad;
  if (!into.q.first_scale_bad) into.q.first_scale_bad = p.q.first_scale_bad;
  into.q.int8_min += p.q.int8_min;
  if (!into.q.first_int8_min) into.q.first_int8_min = p.q.first_int8_min;
  into.q.all_zero &= p.q.all_zero;
  into.r.mismatches += p.r.mismatches;
  if (!into.r.first_mismatch) into.r.first_mismatch = p.r.first_mismatch;
  into.r.max_error = std::max(into.r.max_error, p.r.max_error);
  into.r.all_zero &= p.r.all_zero;
  into.b.not_representable += p.b.not_representable;
  if (!into.b.first) into.b.first = p.b.first;
  if (!into.read_failed_at) into.read_failed_at = p.read_failed_at;
  into.bytes += p.bytes;
  into.encoded.insert(into.encoded.end(), p.encoded.begin(), p.encoded.end());
}

bool is_rope(const TensorInfo& t) { return is_rope_table(t.spec.name); }

// v0's RoPE tables are checked against the values the exporters compute.
bool is_checked_rope(const Checkpoint& cp, const TensorInfo& t) { return is_rope(t) && cp.format.has_tag("v0"); }

// Cuts the present part of every tensor into items of at most `chunk` elements.
std::vector<Item> plan(const Checkpoint& cp, size_t chunk) {
  std::vector<Item> items;
  const uint64_t gs = cp.config && cp.config->group_size > 0 ? uint64_t(cp.config->group_size) : 0;
  for (size_t i = 0; i < cp.tensors.size(); ++i) {
    const TensorInfo& t = cp.tensors[i];
    if (t.status == TensorStatus::missing || t.spec.numel == 0) continue;
    const bool raw = t.place.storage == Storage::raw;
    if (!raw || (t.spec.dtype != DType::f32 && t.spec.dtype != DType::q8_0)) {
      // Decoded on the way (msgpack arrays, tiles, bfloat16, block floats):
      // floating-point tensors only; uint32 ones hold no floats.
      if (t.spec.dtype == DType::f32 || t.spec.dtype == DType::bf16 || (!raw && dtype_is_float(t.spec.dtype)))
        items.push_back({i, Kind::streamed, 0, t.spec.numel});
      continue;
    }
    // Raw fp32 and Q8_0 are checked in place, item by item, with exact offsets.
    Kind kind = t.spec.dtype == DType::q8_0 ? Kind::q8 : is_checked_rope(cp, t) ? Kind::rope : Kind::f32;
    uint64_t n = 0, step = chunk;
    if (kind == Kind::q8) {
      if (gs == 0) continue;
      n = std::min({t.spec.numel / gs, t.data_available / gs, t.scale_available / 4});
      step = std::max<uint64_t>(1, chunk / gs);
    } else if (t.spec.dtype == DType::f32) {
      n = std::min(t.spec.numel, t.data_available / 4);
    } else {
      continue;  // no other dtype is stored raw in a llama2.c file
    }
    for (uint64_t b = 0; b < n; b += step) items.push_back({i, kind, b, std::min(n, b + step)});
  }
  return items;
}

class Scanner {
 public:
  Scanner(const Checkpoint& cp, size_t chunk) : cp_(cp), chunk_(chunk) {}

  // Checks one item, reading it in pieces that stay in the core's L2 cache between the
  // read and the check (a 4 MiB item would round-trip through L3).
  Partial run(const Item& it) {
    Partial p;
    const TensorInfo& t = cp_.tensors[it.tensor];
    switch (it.kind) {
      case Kind::f32:
      case Kind::rope:
        for (uint64_t b = it.begin; b < it.end && !p.read_failed_at; b += kPieceElems)
          merge(p, f32_piece(t, it.kind, b, std::min(it.end, b + kPieceElems)));
        break;
      case Kind::q8: {
        const uint64_t step = std::max<uint64_t>(1, kPieceElems / uint64_t(cp_.config->group_size));
        for (uint64_t b = it.begin; b < it.end && !p.read_failed_at; b += step)
          merge(p, q8_piece(t, b, std::min(it.end, b + step)));
        break;
      }
      case Kind::streamed: {
        const bool bf16 = t.spec.dtype == DType::bf16;
        auto r = scan_f32(
            cp_, t,
            [&](uint64_t first, const float* v, size_t n) {
              Partial c;
              c.f = check_f32(v, n);
              shift(c.f.first_nonfinite, first);
              if (bf16) {
                c.b = check_bf16(v, n);
                shift(c.b.first, first);
              }
              c.bytes = n * 4;
              merge(p, c);
              return true;
            },
            p.encoded, chunk_);
        if (!r) p.read_failed_at = r.error().offset.value_or(t.place.offset);
        break;
      }
    }
    return p;
  }

 private:
  // 64 Ki elements: 256 KiB of fp32, which fits in L2 next to the kernel's working set.
  static constexpr uint64_t kPieceElems = uint64_t(1) << 16;

  Partial f32_piece(const TensorInfo& t, Kind kind, uint64_t begin, uint64_t end) {
    Partial p;
    const size_t n = size_t(end - begin);
    float* f = floats(n);
    const uint64_t off = t.place.offset + begin * 4;
    if (!cp_.source(t.place.source).read(off, f, n * 4)) {
      p.read_failed_at = off;
      return p;
    }
    p.bytes = n * 4;
    p.f = check_f32(f, n);
    shift(p.f.first_nonfinite, begin);
    if (kind == Kind::rope) {
      p.r = check_rope(f, n, begin, cp_.config->head_size(), t.spec.name == "freqs_sin");
      shift(p.r.first_mismatch, begin);
    }
    return p;
  }

  Partial q8_piece(const TensorInfo& t, uint64_t begin, uint64_t end) {
    Partial p;
    const size_t gs = size_t(cp_.config->group_size), groups = size_t(end - begin);
    int8_t* q = bytes(groups * gs);
    float* sc = floats(groups);
    const uint64_t qoff = t.place.offset + begin * gs, soff = t.place.scale_offset + begin * 4;
    if (!cp_.source(t.place.source).read(qoff, q, groups * gs)) {
      p.read_failed_at = qoff;
      return p;
    }
    if (!cp_.source(t.place.source).read(soff, sc, groups * 4)) {
      p.read_failed_at = soff;
      return p;
    }
    p.bytes = groups * gs + groups * 4;
    p.q = check_q8(q, sc, groups, gs);
    shift(p.q.first_scale_nonfinite, begin);
    shift(p.q.first_scale_bad, begin);
    shift(p.q.first_int8_min, begin * gs);
    return p;
  }

  // Buffers grow to the largest item and are never zero-filled (the read overwrites them).
  float* floats(size_t n) {
    if (n > f_cap_) f_.reset(new float[f_cap_ = n]);
    return f_.get();
  }
  int8_t* bytes(size_t n) {
    if (n > q_cap_) q_.reset(new int8_t[q_cap_ = n]);
    return q_.get();
  }
  const Checkpoint& cp_;
  size_t chunk_;
  std::unique_ptr<float[]> f_;
  std::unique_ptr<int8_t[]> q_;
  size_t f_cap_ = 0, q_cap_ = 0;
};

// llama2.c's train.py saves its attention's causal mask buffer (-inf above the diagonal by
// construction) with the weights: its infinities are the design, not damage. NaN still counts.
bool is_causal_mask_buffer(const std::string& name) { return name.ends_with("attention.mask"); }

std::string plural(uint64_t n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

void report_tensor(const RuleContext& c, Collector& out, const TensorInfo& t, const Partial& p) {
  const std::string& name = t.spec.name;
  // Raw fp32 elements have their own offsets; decoded ones where their family places
  // them (a tile's element), else at their tensor.
  const bool positional = t.place.storage == Storage::raw && t.spec.dtype == DType::f32;
  const uint64_t gs = c.cp.config && c.cp.config->group_size > 0 ? uint64_t(c.cp.config->group_size) : 1;
  auto f32_at = [&](uint64_t e) {
    return positional ? t.place.offset + 4 * e : element_offset(c.cp, t, e).value_or(t.place.offset);
  };
  for (const Finding& f : p.encoded) out.parsed(f);
  if (p.read_failed_at) {
    out.tensor("io.read", "cannot read the data at byte " + std::to_string(*p.read_failed_at), p.read_failed_at, name);
    return;
  }
  if (p.f.nonfinite > 0 && !(is_causal_mask_buffer(name) && p.f.nan == 0)) {
    const uint64_t e = *p.f.first_nonfinite;
    out.tensor("data.nonfinite",
               plural(p.f.nonfinite, "non-finite value") + " (" + std::to_string(p.f.nan) + " NaN, " +
                   std::to_string(p.f.nonfinite - p.f.nan) + " Inf), the first at element " + std::to_string(e),
               f32_at(e), name);
  }
  if (p.q.scale_nonfinite > 0) {
    const uint64_t g = *p.q.first_scale_nonfinite;
    out.tensor("quant.scale_nonfinite",
               plural(p.q.scale_nonfinite, "non-finite scale") + ", the first of group " + std::to_string(g),
               t.place.scale_offset + 4 * g, name);
  }
  if (p.q.scale_bad > 0) {
    const uint64_t g = *p.q.first_scale_bad;
    out.tensor("quant.scale_nonpositive",
               plural(p.q.scale_bad, "scale") + " negative, or zero over non-zero int8 values; the first of group " +
                   std::to_string(g),
               t.place.scale_offset + 4 * g, name);
  }
  if (p.q.int8_min > 0) {
    const uint64_t e = *p.q.first_int8_min;
    out.tensor("quant.int8_min",
               plural(p.q.int8_min, "int8 value") + " of -128 (the exporter writes [-127, 127]), the " +
                   "first at element " + std::to_string(e) + " (group " + std::to_string(e / gs) + ")",
               t.place.offset + e, name);
  }
  const bool matrix = t.spec.shape.size() == 2 && !is_rope(t) && t.status == TensorStatus::complete;
  const bool zero = t.spec.dtype == DType::q8_0 ? p.q.all_zero : p.f.all_zero;
  if (matrix && zero && p.bytes > 0) out.tensor("data.zero_matrix", "every value is zero", t.place.offset, name);
  if (is_checked_rope(c.cp, t) && p.bytes > 0) {
    if (p.r.all_zero) {
      out.tensor("data.rope", "the table is all zeros: this producer did not write the RoPE tables", t.place.offset,
                 name);
    } else if (p.r.mismatches > 0) {
      const uint64_t e = *p.r.first_mismatch, half = uint64_t(c.cp.config->head_size() / 2);
      out.tensor("data.rope",
                 plural(p.r.mismatches, "value") + " differ from cos/sin(p * 10000^(-2j/hs)) (largest " + "error " +
                     std::to_string(p.r.max_error) + "), the first at position " + std::to_string(e / half) + ", j " +
                     std::to_string(e % half),
                 t.place.offset + 4 * e, name);
    }
  }
  if (p.b.not_representable > 0)
    out.tensor("data.bf16",
               plural(p.b.not_representable, "value") + " not representable in bfloat16, the first at " + "element " +
                   std::to_string(*p.b.first),
               t.place.offset, name);
}

}  // namespace

uint64_t scan_data(const RuleContext& c, Collector& out) {
  // Q8_0 and the RoPE tables need the config; a header too broken to hold one is
  // reported by the structure rules.
  if (!c.cp.config && c.cp.format.has_tag("checkpoint")) return 0;
  // Items of 1 Mi elements: few enough that their results stay small (a few hundred bytes
  // per 4 MiB), many enough that two threads share a large tensor evenly.
  const size_t chunk = kDefaultChunkElems;
  const std::vector<Item> items = plan(c.cp, chunk);
  std::vector<Partial> parts(items.size());
  uint64_t total = 0;  // bytes the scan will read, to decide whether a second thread pays
  const uint64_t gs = c.cp.config && c.cp.config->group_size > 0 ? uint64_t(c.cp.config->group_size) : 0;
  for (const auto& it : items) {
    const uint64_t n = it.end - it.begin;
    total += it.kind == Kind::q8 ? n * (gs + 4) : n * 4;  // q8: groups of gs int8 + a scale
  }
  unsigned threads = std::max(1u, c.opt.threads);
  if (total < kParallelBytes) threads = 1;
  threads = unsigned(std::min<size_t>(threads, std::max<size_t>(items.size(), 1)));

  std::atomic<size_t> next{0};
  auto work = [&] {
    Scanner s(c.cp, chunk);
    for (size_t i = next++; i < items.size(); i = next++) parts[i] = s.run(items[i]);
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();

  // Items of a tensor are consecutive and in order: merging keeps the first culprit first.
  uint64_t bytes = 0;
  for (size_t i = 0; i < items.size();) {
    Partial acc;
    const size_t tensor = items[i].tensor;
    for (; i < items.size() && items[i].tensor == tensor; ++i) merge(acc, parts[i]);
    bytes += acc.bytes;
    report_tensor(c, out, c.cp.tensors[tensor], acc);
  }
  return bytes;
}

}  // namespace ckpt::validation
