// Detection of the llama2.c formats: the ak42 magic and its version, v0's headers by
// size, tokenizers by a whole parse, and the repairs (a damaged magic, a v0 header that
// does not fit the size). Each candidate says why; the family opens it (family.cpp).
#include "detect.hpp"

#include "ckpt/le.hpp"
#include "formats.hpp"
#include "layout.hpp"
#include "reader.hpp"

namespace ckpt::llama2c {

namespace {

using core::DetectCandidate;

// ak42: the version decides, and for version 1 the group_size field (and the size).
void detect_ak42(const ByteSource& src, const OpenLimits& limits, std::vector<DetectCandidate>& out) {
  // Up to the end of the Q8_0 group_size field: enough to tell every ak42 layout apart.
  const HeaderFieldSpec* gs_field = header_field(ak42_v1_q8_0, "group_size");
  uint8_t h[64] = {};
  const size_t want = size_t(gs_field->offset + gs_field->size);
  const size_t got = src.read_available(0, h, want);
  if (got < header_field(ak42_v1_q8_0, "version")->offset + 4) {
    out.push_back({ak42_v1_fp32, core::kScoreMagic,
                   "ak42 magic, but the file ends at byte " + std::to_string(got) + ", before the version field",
                   kTruncatedMagic});
    return;
  }
  const int32_t version = ak42_version(h);
  if (version == 2) {
    // Both v2 orders have the same header and size: only the bytes can tell.
    Format f = ak42_v2_q8_0;
    std::string how = "ak42 magic, version 2 (Q8_0)";
    auto found = std::make_shared<V2OrderFound>();
    if (auto c = peek_config(src, ak42_v2_q8_0)) {
      const Q8OrderDecision d = decide_v2_order(src, *c, limits);
      found->decision = d;
      if (d.scales_last_fits && !d.interleaved_fits) f = ak42_v2_q8_0_scales_last;
      how += "; order: " + d.decided_by;
      if (!d.interleaved_fits && !d.scales_last_fits) {
        // One corrupted scale must not make a scales-last file read as interleaved garbage.
        found->rescue = tolerant_v2_order(src, *c, limits);
        if (found->rescue) {
          f = found->rescue->format;
          how += "; " + found->rescue->message;
        }
      }
    }
    out.emplace_back(f, core::kScoreMagic, how, kPlain);
    out.back().found = std::move(found);
    return;
  }
  if (version == 1) {
    const int32_t gs = got >= want ? load_i32(h + gs_field->offset) : 0;
    Format f = gs != 0 ? ak42_v1_q8_0 : ak42_v1_fp32;
    std::string how =
        "ak42 magic, version 1, group_size field " + std::to_string(gs) + (gs != 0 ? " (Q8_0 draft)" : " (fp32)");
    // The size can overrule the field when exactly one of the two layouts fits it.
    auto fits = [&](Format g) {
      auto c = peek_config(src, g);
      if (!c) return false;
      auto l = build_layout(g, *c, limits.max_layers);
      return l && l->total_size == src.size();
    };
    const bool fp32_fits = fits(ak42_v1_fp32), q8_fits = fits(ak42_v1_q8_0);
    if (fp32_fits != q8_fits) {
      const Format by_size = fp32_fits ? ak42_v1_fp32 : ak42_v1_q8_0;
      if (by_size != f) how += "; but only the " + std::string(by_size.name()) + " size fits the file";
      f = by_size;
      how += "; file size matches";
    }
    out.push_back({f, core::kScoreMagic, how, kPlain});
    return;
  }
  // Forks reuse the magic for unrelated layouts: show the common fields, never guess.
  out.push_back({ak42_v1_fp32, core::kScoreMagic,
                 "ak42 magic with version " + std::to_string(version) + ": not a layout ckpt knows", kUnknownVersion});
}

}  // namespace

void detect(const ByteSource& src, const OpenLimits& limits, bool thorough, std::vector<DetectCandidate>& out) {
  uint8_t magic[4] = {};
  const bool has_magic = src.read_available(0, magic, 4) == 4 && load_u32(magic) == kAk42Magic;
  if (!thorough) {
    if (has_magic) return detect_ak42(src, limits, out);
    out.push_back({Format::unknown, 0, "no ak42 magic", kPlain});
    // No magic: v0 is recognised by a plausible header whose layout size is the file size.
    int plausible = 0;
    if (v0_header_plausible(src, plausible))
      if (auto c = peek_config(src, v0)) {
        auto l = build_layout(v0, *c, limits.max_layers);
        if (l && l->total_size == src.size())
          out.push_back(
              {v0, core::kScoreExactSize, "no magic; 7-int header whose layout size equals the file size", kPlain});
      }
    return;
  }
  if (has_magic) return;
  std::vector<Finding> ignored;
  if (parse_tokenizer(src, limits, ignored, true))
    out.push_back({tokenizer, core::kScoreWholeParse,
                   "no magic; every tokenizer entry parses up to the end of the file", kPlain});
  else
    out.push_back({Format::unknown, 0, "not a tokenizer", kPlain});
  // An ak42 file whose magic alone is damaged (the rest of the header fits the size).
  if (auto f = ak42_with_bad_magic(src, limits))
    out.push_back({*f, core::kScoreRepaired,
                   "damaged ak42 magic; the header and the size fit " + std::string(f->name()), kBadMagic});
  // A header that still looks like a model: a v0 file that is truncated, has trailing
  // bytes, or has one or two corrupted fields. Parse it so the findings say where.
  int plausible = 0;
  v0_header_plausible(src, plausible);
  if (plausible >= 5)
    out.push_back({v0, core::kScorePlausible,
                   "no magic; " + std::to_string(plausible) +
                       " of 7 header ints plausible, but the layout size does not match the file size",
                   kPlain});
  else
    out.push_back(
        {Format::unknown, 0, "only " + std::to_string(plausible) + " of the 7 v0 header ints are plausible", kPlain});
}

}  // namespace ckpt::llama2c
