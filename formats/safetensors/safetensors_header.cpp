#include "safetensors_header.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "ckpt/checked.hpp"
#include "safetensors_codes.hpp"

namespace ckpt::safetensors {

namespace {

constexpr std::array<DTypeInfo, 20> kDTypes = {{
    {"BOOL", 8},    {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},   {"I8", 8},    {"F8_E5M2", 8},
    {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"I16", 16},    {"U16", 16},    {"F16", 16}, {"BF16", 16}, {"I32", 32},
    {"U32", 32},    {"F32", 32},    {"C64", 64},    {"F64", 64},    {"I64", 64}, {"U64", 64},
}};

constexpr uint32_t kMaxJsonDepth = 16;  // a valid header nests 3 deep

Error fail(std::string_view code, std::string message, std::optional<uint64_t> offset) {
  return Error{ErrorCode::format_structure, std::move(message), offset, std::string(code)};
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = uint8_t(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else
      return false;
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      uint8_t d = uint8_t(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Bracket depth outside strings: refuses absurd nesting before a parser sees it.
uint32_t json_depth(std::string_view s) {
  uint32_t depth = 0, max = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max = std::max(max, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return max;
}

// Stage 1: the length and the header bytes.
Result<std::string> read_header_text(const ByteSource& src, const SafetensorsLimits& limits, uint64_t& n) {
  uint8_t b[8];
  if (src.size() < 8 || !src.read(0, b, 8)) return fail(errc::too_small, "fewer than 8 bytes: no header length", 0);
  n = 0;
  for (int k = 7; k >= 0; --k) n = (n << 8) | b[k];
  if (n > limits.max_header)
    return fail(errc::header_too_large,
                "header length " + std::to_string(n) + " exceeds " + std::to_string(limits.max_header), 0);
  if (n > src.size() - 8)
    return fail(
        errc::header_length,
        "header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(src.size()) + ")",
        0);
  std::string text(size_t(n), '\0');
  if (!src.read(8, text.data(), text.size())) return fail(errc::header_length, "unreadable header", 8);
  if (!valid_utf8(text)) return fail(errc::header_utf8, "the header is not valid UTF-8", 8);
  return text;
}

// Stage 2: JSON (ordered, so tensors keep header order), seeing duplicate keys as they pass.
Result<nlohmann::ordered_json> parse_json(const std::string& text, SafetensorsHeader& h) {
  if (json_depth(text) > kMaxJsonDepth)
    return fail(errc::header_json, "JSON nested deeper than " + std::to_string(kMaxJsonDepth), 8);
  std::unordered_set<std::string> seen;
  auto on_event = [&](int depth, nlohmann::ordered_json::parse_event_t ev, nlohmann::ordered_json& v) {
    if (depth == 1 && ev == nlohmann::ordered_json::parse_event_t::key && v.is_string()) {
      const std::string& key = v.get_ref<const std::string&>();
      if (!seen.insert(key).second)
        h.findings.push_back(make_finding(rules::duplicate_name, "a second entry of this name", 8, key));
    }
    return true;
  };
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text, on_event, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail(errc::header_json, "the header is no JSON object", 8);
  return j;
}

// Where a name is written in the header, for findings about its fields.
uint64_t name_offset(const std::string& text, const std::string& name) {
  size_t at = text.find(nlohmann::ordered_json(name).dump());
  return 8 + (at == std::string::npos ? 0 : at);
}

bool read_uint_array(const nlohmann::ordered_json& j, std::vector<uint64_t>& out) {
  if (!j.is_array()) return false;
  out.clear();
  for (const auto& v : j) {
    if (!v.is_number_unsigned()) return false;
    out.push_back(v.get<uint64_t>());
  }
  return true;
}

void read_metadata(const nlohmann::ordered_json& m, const std::string& text, SafetensorsHeader& h) {
  bool ok = m.is_object();
  if (ok)
    for (const auto& [k, v] : m.items()) {
      if (!v.is_string())
        ok = false;
      else
        h.metadata.emplace_back(k, v.get<std::string>());
    }
  if (!ok)
    h.findings.push_back(make_finding(rules::metadata_not_strings, "__metadata__ must map strings to strings",
                                      name_offset(text, "__metadata__"), "__metadata__"));
}

// Stage 3: each entry's fields.
void read_entry(const std::string& name, const nlohmann::ordered_json& v, const std::string& text,
                const SafetensorsLimits& limits, SafetensorsHeader& h) {
  SafetensorsEntry e;
  e.name = name;
  std::vector<uint64_t> offsets;
  bool ok = v.is_object() && v.contains("dtype") && v["dtype"].is_string() && v.contains("shape") &&
            read_uint_array(v["shape"], e.shape) && v.contains("data_offsets") &&
            read_uint_array(v["data_offsets"], offsets) && offsets.size() == 2;
  if (!ok) {
    h.findings.push_back(make_finding(rules::bad_entry, "entry needs dtype, shape and data_offsets [begin, end]",
                                      name_offset(text, name), name));
    h.tensors.push_back(std::move(e));
    return;
  }
  e.dtype = v["dtype"].get<std::string>();
  e.begin = offsets[0];
  e.end = offsets[1];
  CheckedU64 abs = CheckedU64(h.data_begin) + CheckedU64(e.begin);
  e.absolute_offset = abs.ok() ? abs.value() : UINT64_MAX;
  const DTypeInfo* d = find_dtype(e.dtype);
  if (!d) h.findings.push_back(make_finding(rules::unknown_dtype, "dtype " + e.dtype, name_offset(text, name), name));
  e.bits = d ? d->bits : 0;
  if (e.shape.size() > limits.max_rank)
    h.findings.push_back(
        make_finding(rules::limit_rank, std::to_string(e.shape.size()) + " dimensions", name_offset(text, name), name));
  e.valid = d && e.shape.size() <= limits.max_rank;
  h.tensors.push_back(std::move(e));
}

// Stage 4: the reference's Metadata::validate over entries sorted by offsets, going on
// past a failure to report every one.
void validate(const ByteSource& src, SafetensorsHeader& h) {
  std::vector<const SafetensorsEntry*> order;
  for (const auto& e : h.tensors)
    if (e.valid) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t start = 0;
  for (const SafetensorsEntry* e : order) {
    if (e->begin != start || e->end < e->begin)
      h.findings.push_back(make_finding(rules::invalid_offset,
                                        "data_offsets [" + std::to_string(e->begin) + ", " + std::to_string(e->end) +
                                            "], the previous tensor ends at " + std::to_string(start),
                                        e->absolute_offset, e->name));
    start = std::max(start, e->end);
    CheckedU64 bits = e->bits;
    for (uint64_t d : e->shape) bits *= d;
    if (!bits.ok()) {
      h.findings.push_back(
          make_finding(rules::size_overflow, "shape x element size overflows", e->absolute_offset, e->name));
      continue;
    }
    if (bits.value() % 8 != 0) {
      h.findings.push_back(make_finding(rules::misaligned, std::to_string(bits.value()) + " bits fill no whole byte",
                                        e->absolute_offset, e->name));
      continue;
    }
    if (e->end >= e->begin && e->end - e->begin != bits.value() / 8)
      h.findings.push_back(
          make_finding(rules::size_mismatch,
                       std::to_string(e->end - e->begin) + " bytes for a shape of " + std::to_string(bits.value() / 8),
                       e->absolute_offset, e->name));
    CheckedU64 end = CheckedU64(h.data_begin) + CheckedU64(e->end);
    if (!end.ok() || end.value() > src.size())
      h.findings.push_back(make_finding(rules::data_past_eof,
                                        "data ends at " +
                                            (end.ok() ? std::to_string(end.value()) : std::string("2^64+")) +
                                            ", the file at " + std::to_string(src.size()),
                                        e->absolute_offset, e->name));
  }
  CheckedU64 data_end = CheckedU64(h.data_begin) + CheckedU64(start);
  if (data_end.ok() && data_end.value() < src.size())
    h.findings.push_back(make_finding(rules::trailing_bytes,
                                      std::to_string(src.size() - data_end.value()) + " bytes after the last tensor",
                                      data_end.value()));
}

}  // namespace

const DTypeInfo* find_dtype(std::string_view name) {
  for (const auto& d : kDTypes)
    if (d.name == name) return &d;
  return nullptr;
}

Result<SafetensorsHeader> read_safetensors_header(const ByteSource& src, const SafetensorsLimits& limits) {
  SafetensorsHeader h;
  auto text = read_header_text(src, limits, h.header_length);
  if (!text) return text.error();
  h.data_begin = 8 + h.header_length;
  if (text->empty() || (*text)[0] != '{')
    h.findings.push_back(make_finding(rules::header_start, "the header does not start with '{'", 8));
  auto json = parse_json(*text, h);
  if (!json) return json.error();
  for (const auto& [name, value] : json->items()) {
    if (name == "__metadata__") {
      read_metadata(value, *text, h);
      continue;
    }
    if (h.tensors.size() >= limits.max_tensors) {
      h.findings.push_back(
          make_finding(rules::limit_tensors, "more than " + std::to_string(limits.max_tensors) + " tensors", 8));
      break;
    }
    read_entry(name, value, *text, limits, h);
  }
  validate(src, h);
  return h;
}

}  // namespace ckpt::safetensors
