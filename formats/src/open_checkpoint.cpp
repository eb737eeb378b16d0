// Format detection and the entry point that turns bytes into a Checkpoint.
#include <algorithm>
#include <string>

#include "ckpt/checkpoint.hpp"
#include "ckpt/le.hpp"
#include "llama2c_reader.hpp"

namespace ckpt {

std::string_view tensor_status_name(TensorStatus s) {
  switch (s) {
    case TensorStatus::complete: return "complete";
    case TensorStatus::truncated: return "truncated";
    case TensorStatus::missing: return "missing";
  }
  return "missing";
}

const TensorInfo* Checkpoint::find(std::string_view name) const {
  for (const auto& t : tensors)
    if (t.spec.name == name || (!t.alt_name.empty() && t.alt_name == name)) return &t;
  return nullptr;
}

bool Checkpoint::has_errors() const {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
}

namespace detail {
// Defined by the msgpack reader when it is linked in; see ttml_detect in formats.
bool looks_like_ttml_msgpack(const ByteSource& src);
Result<Checkpoint> open_ttml_msgpack(const ByteSource& src, Checkpoint cp);
}  // namespace detail

namespace {

using namespace detail;

Checkpoint parse_llama2c(const ByteSource& src, Format f, std::string detection, Checkpoint cp) {
  cp.format = f;
  cp.detection = std::move(detection);
  read_header(src, f, cp);
  if (f == Format::ak42_v2_q8_0 || f == Format::ak42_v2_q8_0_scales_last) {
    if (cp.config && !cp.q8_order) cp.q8_order = decide_v2_order(src, *cp.config);
  }
  build_tensor_table(f, cp);
  return cp;
}

Checkpoint parse_tokenizer_file(const ByteSource& src, std::string detection, Checkpoint cp) {
  cp.format = Format::llama2c_tokenizer;
  cp.detection = std::move(detection);
  cp.tokenizer = parse_tokenizer(src, cp.findings, false);
  if (!cp.tokenizer) {
    cp.findings.push_back({"tokenizer.header", Severity::error,
                           "not readable as a tokenizer (empty, or larger than 64 MiB)", uint64_t(0), ""});
  } else {
    cp.header.push_back({"max_token_length", 0, 4, cp.tokenizer->max_token_length});
  }
  return cp;
}

// ak42: the version decides, and for version 1 the group_size field (and the size).
Result<Checkpoint> detect_ak42(const ByteSource& src, Checkpoint cp) {
  uint8_t h[41] = {};
  const size_t got = src.read_available(0, h, sizeof h);
  if (got < 8)
    return Error{"detect.truncated",
                 "ak42 magic, but the file ends at byte " + std::to_string(got) + ", before the version field", got};
  const int32_t version = load_i32(h + 4);
  if (version == 2) {
    // Both v2 orders have the same header and size: only the bytes can tell.
    Checkpoint probe = cp;
    read_header(src, Format::ak42_v2_q8_0, probe);
    Format f = Format::ak42_v2_q8_0;
    std::string how = "ak42 magic, version 2 (Q8_0)";
    if (probe.config) {
      Q8OrderDecision d = decide_v2_order(src, *probe.config);
      if (d.scales_last_fits && !d.interleaved_fits) f = Format::ak42_v2_q8_0_scales_last;
      how += "; order: " + d.decided_by;
      const bool undecided = d.interleaved_fits == d.scales_last_fits;
      if (undecided)
        cp.findings.push_back({"layout.q8_order", d.interleaved_fits ? Severity::warning : Severity::error,
                               "cannot tell interleaved from scales-last: " + d.decided_by, uint64_t(256), ""});
      else
        cp.findings.push_back({"layout.q8_order", Severity::info, "Q8_0 order decided: " + d.decided_by,
                               uint64_t(256), ""});
      cp.q8_order = d;
    }
    return parse_llama2c(src, f, how, std::move(cp));
  }
  if (version == 1) {
    const int32_t gs = got >= 41 ? load_i32(h + 37) : 0;
    Format f = gs != 0 ? Format::ak42_v1_q8_0 : Format::ak42_v1_fp32;
    std::string how = "ak42 magic, version 1, group_size field " + std::to_string(gs) +
                      (gs != 0 ? " (Q8_0 draft)" : " (fp32)");
    // The size can overrule the field when exactly one of the two layouts fits it.
    Checkpoint a = cp, b = cp;
    read_header(src, Format::ak42_v1_fp32, a);
    read_header(src, Format::ak42_v1_q8_0, b);
    auto fits = [&](Format g, const Checkpoint& c) {
      if (!c.config) return false;
      auto l = build_layout(g, *c.config);
      return l && l->total_size == src.size();
    };
    const bool fp32_fits = fits(Format::ak42_v1_fp32, a), q8_fits = fits(Format::ak42_v1_q8_0, b);
    if (fp32_fits != q8_fits) {
      const Format by_size = fp32_fits ? Format::ak42_v1_fp32 : Format::ak42_v1_q8_0;
      if (by_size != f) how += "; but only the " + std::string(format_name(by_size)) + " size fits the file";
      f = by_size;
      how += "; file size matches";
    }
    return parse_llama2c(src, f, how, std::move(cp));
  }
  // Forks reuse the magic for unrelated layouts: show the common fields, never guess.
  cp.format = Format::unknown;
  cp.detection = "ak42 magic with version " + std::to_string(version) + ": not a layout ckpt knows";
  read_header(src, Format::ak42_v1_fp32, cp);
  cp.config.reset();
  cp.findings.push_back({"header.version", Severity::error,
                         "ak42 version " + std::to_string(version) +
                             " is unknown (1 and 2 are llama2.c's; forks use 3 and up for other layouts)",
                         uint64_t(4), "version"});
  return cp;
}

}  // namespace

Result<Checkpoint> open_checkpoint(const ByteSource& src, const OpenOptions& opt) {
  Checkpoint cp;
  cp.path = src.name();
  cp.file_size = src.size();

  if (opt.forced_format) {
    const Format f = *opt.forced_format;
    const std::string how = "forced with --format " + std::string(format_name(f));
    if (f == Format::llama2c_tokenizer) return parse_tokenizer_file(src, how, std::move(cp));
    if (f == Format::ttml_msgpack) {
      cp.detection = how;
      return open_ttml_msgpack(src, std::move(cp));
    }
    if (f == Format::unknown) return Error{"detect.forced", "cannot force the unknown format", {}};
    return parse_llama2c(src, f, how, std::move(cp));
  }

  if (src.size() == 0) return Error{"detect.empty", "the file is empty", uint64_t(0)};
  uint8_t magic[4] = {};
  const size_t got = src.read_available(0, magic, 4);
  if (got == 4 && load_u32(magic) == kAk42Magic) return detect_ak42(src, std::move(cp));

  if (looks_like_ttml_msgpack(src)) {
    cp.detection = "a msgpack map of [variant, payload] values";
    return open_ttml_msgpack(src, std::move(cp));
  }

  // No magic: v0 is recognised by a plausible header whose layout size is the file size.
  int plausible = 0;
  const bool v0_ok = v0_header_plausible(src, plausible);
  if (v0_ok) {
    Checkpoint probe = cp;
    read_header(src, Format::llama2c_v0, probe);
    auto l = probe.config ? build_layout(Format::llama2c_v0, *probe.config) : Result<Layout>(Error{});
    if (l && l->total_size == src.size())
      return parse_llama2c(src, Format::llama2c_v0, "no magic; 7-int header whose layout size equals the file size",
                           std::move(cp));
  }
  std::vector<Finding> tok_findings;
  if (auto tok = parse_tokenizer(src, tok_findings, true)) {
    (void)tok;
    return parse_tokenizer_file(src, "no magic; every tokenizer entry parses up to the end of the file",
                                std::move(cp));
  }
  // A header that still looks like a model: a v0 file that is truncated, has trailing
  // bytes, or has one or two corrupted fields. Parse it so the findings say where.
  if (plausible >= 5) {
    std::string how = "no magic; " + std::to_string(plausible) +
                      " of 7 header ints plausible, but the layout size does not match the file size";
    return parse_llama2c(src, Format::llama2c_v0, how, std::move(cp));
  }
  return Error{"detect.unknown",
               "no known format fits: no ak42 magic, not a msgpack map, not a tokenizer, and only " +
                   std::to_string(plausible) + " of the 7 v0 header ints are plausible",
               uint64_t(0)};
}

}  // namespace ckpt
