// --at inside a safetensors file. The header is re-read (it was bounded by the reader's
// max_header when the file was opened, and the scan stops at kMaxScan) to name the JSON
// entry a byte belongs to.
#include "safetensors_locate.hpp"

#include <algorithm>
#include <vector>

#include "torch/torch_locate.hpp"

namespace ckpt::safetensors {

namespace {

constexpr uint64_t kMaxScan = 16u << 20;  // longer headers: the byte is "JSON header" only

void container(Location& loc, std::string part, uint64_t start, uint64_t length) {
  loc.kind = RegionKind::container;
  loc.field = "safetensors header";
  loc.part = std::move(part);
  loc.region_start = start;
  loc.region_length = length;
  loc.byte_in_element = uint32_t(std::min<uint64_t>(loc.offset - start, UINT32_MAX));
}

// Index just past the string starting at text[i] == '"', or npos.
size_t skip_string(std::string_view t, size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\')
      ++i;
    else if (t[i] == '"')
      return i + 1;
  }
  return std::string_view::npos;
}

// Index just past the value starting at t[i] (after whitespace), or npos.
size_t skip_value(std::string_view t, size_t i) {
  int depth = 0;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '"') {
      i = skip_string(t, i);
      if (i == std::string_view::npos) return i;
      if (depth == 0) return i;
      --i;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;  // the enclosing object's end: a scalar value stopped before it
      if (--depth == 0) return i + 1;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<JsonEntrySpan> json_entry_at(std::string_view t, uint64_t at) {
  size_t i = t.find('{');
  if (i == std::string_view::npos) return std::nullopt;
  ++i;
  while (i < t.size()) {
    i = t.find_first_not_of(" \t\r\n,", i);
    if (i == std::string_view::npos || t[i] != '"') return std::nullopt;
    const size_t key_begin = i;
    const size_t key_end = skip_string(t, i);
    if (key_end == std::string_view::npos) return std::nullopt;
    size_t colon = t.find_first_not_of(" \t\r\n", key_end);
    if (colon == std::string_view::npos || t[colon] != ':') return std::nullopt;
    size_t v = t.find_first_not_of(" \t\r\n", colon + 1);
    if (v == std::string_view::npos) return std::nullopt;
    size_t end = skip_value(t, v);
    if (end == std::string_view::npos) return std::nullopt;
    // A scalar ends where the next ',' or '}' is: drop trailing whitespace.
    while (end > v && (t[end - 1] == ' ' || t[end - 1] == '\n' || t[end - 1] == '\r' || t[end - 1] == '\t')) --end;
    if (at >= key_begin && at < end)
      return JsonEntrySpan{std::string(t.substr(key_begin + 1, key_end - key_begin - 2)), key_begin, end};
    if (at < key_begin) return std::nullopt;
    i = end;
  }
  return std::nullopt;
}

Location locate_safetensors_file(const Checkpoint& cp, const SafetensorsFile& f, uint64_t offset) {
  Location loc;
  loc.offset = offset;
  const ByteSource& src = cp.source(f.source);
  loc.beyond_file = offset >= src.size();
  if (loc.beyond_file) {
    loc.kind = RegionKind::past_end;
    return loc;
  }
  const SafetensorsHeader& h = f.header;
  if (offset < 8) {
    container(loc, "header length (u64 little-endian)", 0, 8);
    return loc;
  }
  if (offset < h.data_begin) {
    container(loc, "JSON", 8, h.header_length);
    if (h.header_length <= kMaxScan) {
      std::vector<char> text(h.header_length);
      if (src.read(8, text.data(), text.size()))
        if (auto e = json_entry_at(std::string_view(text.data(), text.size()), offset - 8))
          container(loc, "JSON entry \"" + e->key + "\"", 8 + e->begin, e->end - e->begin);
    }
    return loc;
  }
  if (torch::locate_tensor_bytes(cp, f.source, offset, nullptr, loc)) return loc;
  uint64_t last = h.data_begin;
  for (const auto& t : h.tensors)
    if (t.valid && t.end >= t.begin) {  // end < begin is a finding (invalid_offset), not data
      const uint64_t n = t.end - t.begin;
      last = std::max(last, t.absolute_offset > UINT64_MAX - n ? UINT64_MAX : t.absolute_offset + n);
    }
  loc.kind = offset >= last ? RegionKind::trailing : RegionKind::unmapped;
  if (loc.kind == RegionKind::trailing) {
    loc.region_start = last;
    loc.region_length = src.size() - last;
  }
  return loc;
}

}  // namespace ckpt::safetensors
