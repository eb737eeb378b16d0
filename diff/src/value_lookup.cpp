#include "value_lookup.hpp"

#include <cstring>

#include "ckpt/view_reader.hpp"

namespace ckpt::diffing {

namespace {

uint32_t bits_of(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}

uint32_t hash32(uint32_t x) { return x * 0x9E3779B1u; }

// Sampled values by bit pattern: an open-addressed table of distinct patterns, each with
// the chain of sampled positions holding it, behind a bitmap that rejects most of A's
// values with one load (the scan's hot path).
class SampleTable {
 public:
  explicit SampleTable(const std::vector<float>& values) : next_(values.size(), -1) {
    int shift = 32;
    size_t cap = 1;
    while (cap < 2 * values.size() + 2) cap *= 2, --shift;
    slots_.assign(cap, -1);
    keys_.assign(cap, 0);
    shift_ = shift;
    // 32 bitmap bits per sampled value keep false hits near 3%.
    size_t bits = 1u << 16;
    filter_shift_ = 16;
    while (bits < 32 * values.size() && filter_shift_ < 28) bits *= 2, ++filter_shift_;
    filter_.assign(bits / 64, 0);
    for (size_t i = 0; i < values.size(); ++i) insert(bits_of(values[i]), int32_t(i));
  }

  // The first sampled index holding this pattern (chain through next()), or -1.
  int32_t find(uint32_t key) const {
    const uint32_t f = hash32(key) >> (32 - filter_shift_);
    if (!((filter_[f >> 6] >> (f & 63)) & 1)) return -1;
    for (size_t s = hash32(key) >> shift_;; s = (s + 1) & (slots_.size() - 1)) {
      if (slots_[s] < 0) return -1;
      if (keys_[s] == key) return slots_[s];
    }
  }
  int32_t next(int32_t i) const { return next_[size_t(i)]; }

 private:
  void insert(uint32_t key, int32_t i) {
    const uint32_t f = hash32(key) >> (32 - filter_shift_);
    filter_[f >> 6] |= uint64_t(1) << (f & 63);
    for (size_t s = hash32(key) >> shift_;; s = (s + 1) & (slots_.size() - 1)) {
      if (slots_[s] < 0) {
        slots_[s] = i;
        keys_[s] = key;
        return;
      }
      if (keys_[s] == key) {  // same value sampled twice: chain it
        next_[size_t(i)] = slots_[s];
        slots_[s] = i;
        return;
      }
    }
  }
  std::vector<int32_t> slots_, next_;
  std::vector<uint32_t> keys_;
  std::vector<uint64_t> filter_;
  int shift_ = 32, filter_shift_ = 16;
};

}  // namespace

bool match_values(const Side& a, const Side& b, std::vector<uint64_t> pb, ValueMatches& out) {
  Values vb;
  if (!gather(b.cp, b.view, pb, vb, b.force_stream)) return false;
  const SampleTable table(vb.v);
  out.pb = std::move(pb);
  out.at.assign(out.pb.size(), {});
  out.count.assign(out.pb.size(), 0);
  ViewReader r(a.cp, a.view, a.force_stream);
  const uint64_t n = r.available();
  const size_t chunk = size_t(std::min<uint64_t>(uint64_t(1) << 20, std::max<uint64_t>(n, 1)));
  std::vector<float> buf(chunk);
  for (uint64_t first = 0; first < n; first += chunk) {
    const size_t k = size_t(std::min<uint64_t>(chunk, n - first));
    if (!r.read(first, k, buf.data(), nullptr)) return false;
    for (size_t i = 0; i < k; ++i) {
      for (int32_t s = table.find(bits_of(buf[i])); s >= 0; s = table.next(s)) {
        uint8_t& c = out.count[size_t(s)];
        if (c < ValueMatches::kMax) out.at[size_t(s)][c] = first + i;
        if (c <= ValueMatches::kMax) ++c;
      }
    }
  }
  for (uint8_t c : out.count) out.missing += c == 0;
  return true;
}

}  // namespace ckpt::diffing
