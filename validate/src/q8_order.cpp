// A second opinion on the v2 order when the strict plausibility test (every sampled scale
// plausible) rejects both: one corrupted scale must not make a scales-last file read as
// interleaved garbage. Here each candidate region gets the share of its sampled values
// that are plausible scales; int8 data read as fp32 is implausible about half the time.
#include <cmath>
#include <cstdio>

#include "ckpt/le.hpp"
#include "rules.hpp"

namespace ckpt::vdetail {

namespace {

// Same sample size as the strict test: constant time whatever the file size.
constexpr size_t kSampleBytes = 16384;

double plausible_share(const ByteSource& src, uint64_t off, uint64_t len) {
  std::vector<uint8_t> buf(size_t(std::min<uint64_t>(len, kSampleBytes)) & ~size_t(3));
  const size_t got = src.read_available(off, buf.data(), buf.size()) & ~size_t(3);
  if (got == 0) return 0;
  size_t ok = 0;
  for (size_t i = 0; i < got; i += 4) {
    const float s = load_f32(buf.data() + i);
    ok += std::isfinite(s) && !std::signbit(s) && s <= 1e6f && (s == 0 || std::isnormal(s));
  }
  return double(ok) / double(got / 4);
}

}  // namespace

std::optional<OrderRescue> tolerant_v2_order(const ByteSource& src, const ModelConfig& c) {
  auto inter = build_layout(Format::ak42_v2_q8_0, c);
  auto last = build_layout(Format::ak42_v2_q8_0_scales_last, c);
  if (!inter || !last) return std::nullopt;
  size_t emb = 0;
  while (emb < inter->tensors.size() && inter->tensors[emb].dtype != DType::q8_0) ++emb;
  if (emb == inter->tensors.size()) return std::nullopt;
  const Placement& ip = inter->places[emb];
  const Placement& lp = last->places[emb];
  const double i_share = plausible_share(src, ip.scale_offset, ip.scale_nbytes);
  const double l_share = plausible_share(src, lp.scale_offset, last->total_size - lp.scale_offset);
  // A clear majority on one side only; anything closer stays undecided.
  constexpr double kWin = 0.9, kLose = 0.6;
  std::optional<Format> f;
  if (i_share >= kWin && l_share <= kLose) f = Format::ak42_v2_q8_0;
  if (l_share >= kWin && i_share <= kLose) f = Format::ak42_v2_q8_0_scales_last;
  if (!f) return std::nullopt;
  char msg[320];
  std::snprintf(msg, sizeof msg,
                "neither v2 order passes the strict scale test (some sampled scales are not plausible); by the share "
                "of plausible scales (interleaved %.1f%%, scales last %.1f%%) the file is read as %s",
                100 * i_share, 100 * l_share, std::string(format_name(*f)).c_str());
  return OrderRescue{*f, msg};
}

}  // namespace ckpt::vdetail
