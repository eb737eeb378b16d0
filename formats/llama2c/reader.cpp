// Reading llama2.c checkpoints stage by stage (see reader.hpp).
#include "reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "ckpt/checked.hpp"
#include "ckpt/le.hpp"
#include "formats.hpp"
#include "layout.hpp"

namespace ckpt::llama2c {

namespace {

int64_t field_value(const uint8_t* p, FieldType t) {
  switch (t) {
    case FieldType::u32:
      return int64_t(load_u32(p));
    case FieldType::i32:
      return int64_t(load_i32(p));
    case FieldType::u8:
      return int64_t(p[0]);
  }
  return 0;
}

std::string plural(uint64_t n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

// What trailing bytes most likely are, when they have a well-known cause.
std::string trailing_hint(Format f, const Checkpoint& cp) {
  if (!cp.config || f != v0) return {};
  const ModelConfig& c = *cp.config;
  const uint64_t classifier = uint64_t(c.vocab_size) * uint64_t(c.dim) * 4;
  if (c.shared_classifier && cp.trailing_bytes == classifier)
    return "; the trailing bytes are exactly an output.weight (vocab_size x dim fp32): the writer stored an "
           "untied classifier but left vocab_size positive (v0 marks it with a negative vocab_size)";
  return {};
}

}  // namespace

void read_header(const ByteSource& src, Format f, Checkpoint& cp) {
  uint8_t buf[256] = {};
  const uint64_t hsize = header_size(f);
  const size_t got = src.read_available(0, buf, size_t(hsize));
  cp.header_size = hsize;
  ModelConfig c;
  for (const auto& field : header_fields(f)) {
    if (field.offset + field.size > got) {
      cp.findings.push_back({"header.truncated", Severity::error,
                             "the file ends at byte " + std::to_string(got) + ", inside the header field " +
                                 std::string(field.name) + " (bytes " + std::to_string(field.offset) + ".." +
                                 std::to_string(field.offset + field.size - 1) + ")",
                             got, std::string(field.name)});
      return;  // no config from a partial header
    }
    const int64_t v = field_value(buf + field.offset, field.type);
    cp.header.push_back({std::string(field.name), field.offset, field.size, v});
    field.decode(f, v, c);
    if (field.name == "vocab_size" && v < 0 && is_ak42(f))
      cp.findings.push_back({"header.value", Severity::error,
                             "vocab_size is " + std::to_string(v) + ": ak42 headers store it positive", field.offset,
                             "vocab_size"});
  }
  cp.config = c;
}

std::optional<ModelConfig> peek_config(const ByteSource& src, Format f) {
  Checkpoint probe;
  read_header(src, f, probe);
  return probe.config;
}

void build_tensor_table(Format f, const OpenLimits& limits, Checkpoint& cp) {
  if (!cp.config) return;
  auto layout = build_layout(f, *cp.config, limits.max_layers);
  if (!layout) {
    cp.findings.push_back({layout.error().code == ErrorCode::layout_overflow ? "header.overflow" : "header.value",
                           Severity::error, "no tensor table: " + layout.error().message, uint64_t(0), ""});
    return;
  }
  const uint64_t size = cp.file_size;
  cp.expected_size = layout->total_size;
  auto available = [size](uint64_t off, uint64_t n) { return off >= size ? 0 : std::min(n, size - off); };
  const TensorInfo* first_cut = nullptr;
  for (size_t i = 0; i < layout->tensors.size(); ++i) {
    TensorInfo t;
    t.spec = layout->tensors[i];
    t.place = layout->places[i];
    t.data_available = available(t.place.offset, t.place.nbytes);
    t.scale_available = available(t.place.scale_offset, t.place.scale_nbytes);
    const uint64_t want = t.place.nbytes + t.place.scale_nbytes, have = t.data_available + t.scale_available;
    if (have == want) {
      t.status = TensorStatus::complete;
    } else if (have == 0) {
      t.status = TensorStatus::missing;
    } else {
      t.status = TensorStatus::truncated;
      t.truncated_at = size;
    }
    cp.tensors.push_back(std::move(t));
  }
  // The tensor the file end falls in: the one whose data (or scales) contain the end.
  for (const auto& t : cp.tensors) {
    if (t.status == TensorStatus::truncated) {
      first_cut = &t;
      break;
    }
  }
  if (size < layout->total_size) {
    std::string where;
    if (first_cut) {
      const auto& p = first_cut->place;
      const bool in_scales = first_cut->data_available == p.nbytes;
      const uint64_t part_start = in_scales ? p.scale_offset : p.offset;
      const uint64_t elem_size = (first_cut->spec.dtype == DType::q8_0 && !in_scales) ? 1 : 4;
      where = ", inside " + first_cut->spec.name + (in_scales ? " (scales)" : "") + " at element " +
              std::to_string((size - part_start) / elem_size);
    } else {
      // The end falls exactly on a tensor boundary: name the first tensor that is missing.
      for (const auto& t : cp.tensors)
        if (t.status == TensorStatus::missing) {
          where = ", exactly before " + t.spec.name;
          break;
        }
    }
    cp.findings.push_back({"size.truncated", Severity::error,
                           "file is truncated: " + plural(size, "byte") + " of " + std::to_string(layout->total_size) +
                               " expected, it ends at byte " + std::to_string(size) + where,
                           size, first_cut ? first_cut->spec.name : ""});
  } else if (size > layout->total_size) {
    cp.trailing_bytes = size - layout->total_size;
    cp.findings.push_back({"size.trailing", Severity::error,
                           plural(cp.trailing_bytes, "trailing byte") + " after the last tensor (expected size " +
                               std::to_string(layout->total_size) + ")" + trailing_hint(f, cp),
                           layout->total_size, ""});
  }
}

bool v0_header_plausible(const ByteSource& src, int& plausible) {
  plausible = 0;
  uint8_t b[28];
  if (!src.read(0, b, header_size(v0))) return false;
  constexpr int64_t kMax = int64_t(1) << 24;
  for (const auto& field : header_fields(v0)) {
    int64_t v = field_value(b + field.offset, field.type);
    if (field.name == "vocab_size") v = v < 0 ? -v : v;  // the sign is the classifier flag
    if (v >= 1 && v <= kMax) ++plausible;
  }
  return plausible == int(header_fields(v0).size());
}

int32_t ak42_version(const uint8_t* header) { return load_i32(header + header_field(ak42_v1_fp32, "version")->offset); }

Q8OrderDecision decide_v2_order(const ByteSource& src, const ModelConfig& c, const OpenLimits& limits) {
  Q8OrderDecision d;
  auto inter = build_layout(ak42_v2_q8_0, c, limits.max_layers);
  auto last = build_layout(ak42_v2_q8_0_scales_last, c, limits.max_layers);
  if (!inter || !last) {
    d.decided_by = "no layout could be computed from the header; assumed interleaved";
    return d;
  }
  // The first quantized tensor is tok_embeddings; the scales-last region begins with its scales.
  size_t emb = 0;
  while (emb < inter->tensors.size() && inter->tensors[emb].dtype != DType::q8_0) ++emb;
  if (emb == inter->tensors.size()) {
    d.decided_by = "no quantized tensor; assumed interleaved";
    return d;
  }
  // Sample at most this many bytes of each candidate scale region: enough to make a
  // chance fit of int8 data (half of all bytes have the sign bit set) impossible, and
  // small enough to keep the decision constant-time.
  constexpr size_t kSample = 16384;
  auto plausible_scales = [&](uint64_t off, uint64_t len, std::string& why) {
    std::vector<uint8_t> buf(size_t(std::min<uint64_t>(len, kSample)) & ~size_t(3));
    if (buf.empty()) {
      why = "region empty";
      return false;
    }
    const size_t got = src.read_available(off, buf.data(), buf.size()) & ~size_t(3);
    if (got == 0) {
      why = "not in the file";
      return false;
    }
    bool any_positive = false;
    for (size_t i = 0; i < got; i += 4) {
      const float s = load_f32(buf.data() + i);
      const bool ok = std::isfinite(s) && !std::signbit(s) && s <= 1e6f && (s == 0 || std::isnormal(s));
      if (!ok) {
        char text[32];
        std::snprintf(text, sizeof text, "%g", double(s));
        why = "value " + std::string(text) + " at byte " + std::to_string(off + i) + " is not a scale";
        return false;
      }
      any_positive |= s > 0;
    }
    if (!any_positive) why = "all zero";
    return any_positive;
  };
  const auto& ip = inter->places[emb];
  std::string why_i, why_l;
  d.interleaved_fits = plausible_scales(ip.scale_offset, ip.scale_nbytes, why_i);
  const auto& lp = last->places[emb];
  d.scales_last_fits = plausible_scales(lp.scale_offset, last->total_size - lp.scale_offset, why_l);
  const std::string i_test =
      "the bytes after tok_embeddings' int8 data (offset " + std::to_string(ip.scale_offset) + ")";
  const std::string l_test = "the trailing scale region (offset " + std::to_string(lp.scale_offset) + ")";
  if (d.interleaved_fits && !d.scales_last_fits)
    d.decided_by = i_test + " are plausible scales; " + l_test + " is not: " + why_l;
  else if (!d.interleaved_fits && d.scales_last_fits)
    d.decided_by = l_test + " holds plausible scales; " + i_test + " do not: " + why_i;
  else if (d.interleaved_fits)
    d.decided_by = "both orders fit the plausibility test; assumed interleaved (llama2.c master)";
  else
    d.decided_by = "neither order fits the plausibility test (interleaved: " + why_i + "; scales last: " + why_l +
                   "); assumed interleaved";
  return d;
}

namespace {

// The share of sampled values in a candidate scale region that are plausible scales;
// int8 data read as fp32 is implausible about half the time. Same sample size as the
// strict test: constant time whatever the file size.
double plausible_share(const ByteSource& src, uint64_t off, uint64_t len) {
  constexpr size_t kSampleBytes = 16384;
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

std::optional<OrderRescue> tolerant_v2_order(const ByteSource& src, const ModelConfig& c, const OpenLimits& limits) {
  auto inter = build_layout(ak42_v2_q8_0, c, limits.max_layers);
  auto last = build_layout(ak42_v2_q8_0_scales_last, c, limits.max_layers);
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
  if (i_share >= kWin && l_share <= kLose) f = ak42_v2_q8_0;
  if (l_share >= kWin && i_share <= kLose) f = ak42_v2_q8_0_scales_last;
  if (!f) return std::nullopt;
  char msg[320];
  std::snprintf(msg, sizeof msg,
                "neither v2 order passes the strict scale test (some sampled scales are not plausible); by the share "
                "of plausible scales (interleaved %.1f%%, scales last %.1f%%) the file is read as %s",
                100 * i_share, 100 * l_share, std::string(f->name()).c_str());
  return OrderRescue{*f, msg};
}

std::optional<Format> ak42_with_bad_magic(const ByteSource& src, const OpenLimits& limits) {
  uint8_t h[256];
  if (src.size() < sizeof h || !src.read(0, h, sizeof h)) return std::nullopt;
  const int32_t version = ak42_version(h);
  std::vector<Format> candidates;
  if (version == 1) candidates = {ak42_v1_fp32, ak42_v1_q8_0};
  if (version == 2) candidates = {ak42_v2_q8_0};
  for (Format f : candidates) {
    // The header table decodes the fields; the magic's own value is ignored.
    ModelConfig c;
    for (const auto& field : header_fields(f)) field.decode(f, field_value(h + field.offset, field.type), c);
    auto layout = build_layout(f, c, limits.max_layers);
    if (layout && layout->total_size == src.size()) return f;
  }
  return std::nullopt;
}

}  // namespace ckpt::llama2c
