// ustar reading and header writing. Sizes are octal (GNU's base-256 form for sizes of
// 8 GiB and more is read too); pax 'x' records and GNU 'L' records supply long names.
#include "tar.hpp"

#include <fmt/format.h>

#include <cstring>

#include "ckpt/checked.hpp"

namespace ckpt::ttml {

namespace {

constexpr uint64_t kChecksumAt = 148, kSizeAt = 124, kTypeAt = 156, kMagicAt = 257, kPrefixAt = 345;
constexpr uint64_t kMaxLongName = 64 * 1024;

uint64_t pad512(uint64_t n) { return (n + kTarBlock - 1) / kTarBlock * kTarBlock; }

// An octal field: leading spaces, digits, then NUL or space. nullopt when it is not.
std::optional<uint64_t> octal(const uint8_t* f, size_t n) {
  if (n > 0 && (f[0] & 0x80)) {             // GNU base-256: big-endian, the top bit of byte 0 marks it
    if (f[0] != 0x80) return std::nullopt;  // negative or over 2^64: nothing a size can be
    uint64_t v = 0;
    for (size_t i = 1; i < n; ++i) {
      if (v >> 56) return std::nullopt;
      v = v << 8 | f[i];
    }
    return v;
  }
  size_t i = 0;
  while (i < n && f[i] == ' ') ++i;
  uint64_t v = 0;
  size_t digits = 0;
  for (; i < n && f[i] >= '0' && f[i] <= '7'; ++i, ++digits) {
    if (v >> 61) return std::nullopt;
    v = v * 8 + uint64_t(f[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  for (; i < n; ++i)
    if (f[i] != ' ' && f[i] != '\0') return std::nullopt;
  return v;
}

std::string field_text(const uint8_t* f, size_t n) {
  size_t len = 0;
  while (len < n && f[len] != 0) ++len;
  return std::string(reinterpret_cast<const char*>(f), len);
}

// The sum tar computes: every byte, the checksum field counted as spaces. Old writers
// summed signed chars: both are accepted.
void checksums(const uint8_t* h, uint64_t& unsigned_sum, int64_t& signed_sum) {
  unsigned_sum = 0;
  signed_sum = 0;
  for (uint64_t i = 0; i < kTarBlock; ++i) {
    const uint8_t b = i >= kChecksumAt && i < kChecksumAt + 8 ? uint8_t(' ') : h[i];
    unsigned_sum += b;
    signed_sum += int8_t(b);
  }
}

bool all_zero(const uint8_t* h) {
  for (uint64_t i = 0; i < kTarBlock; ++i)
    if (h[i]) return false;
  return true;
}

// The "path" record of a pax extended header ("<len> path=<value>\n" records).
std::optional<std::string> pax_path(const std::string& body) {
  size_t at = 0;
  while (at < body.size()) {
    const size_t space = body.find(' ', at);
    if (space == std::string::npos) return std::nullopt;
    uint64_t len = 0;
    for (size_t i = at; i < space; ++i) {
      if (body[i] < '0' || body[i] > '9' || len > body.size()) return std::nullopt;
      len = len * 10 + uint64_t(body[i] - '0');
    }
    if (len == 0 || at + len > body.size()) return std::nullopt;
    const std::string rec = body.substr(space + 1, at + len - space - 1);  // "key=value\n"
    if (rec.starts_with("path=") && rec.ends_with("\n")) return rec.substr(5, rec.size() - 6);
    at += len;
  }
  return std::nullopt;
}

}  // namespace

bool looks_like_tar(const ByteSource& src) {
  uint8_t h[kTarBlock];
  // The magic alone first: detection reads the whole header only of archives.
  if (src.size() < kTarBlock || !src.read(kMagicAt, h + kMagicAt, 5)) return false;
  if (std::memcmp(h + kMagicAt, "ustar", 5) != 0 || !src.read(0, h, kTarBlock)) return false;
  const auto stored = octal(h + kChecksumAt, 8);
  uint64_t u;
  int64_t s;
  checksums(h, u, s);
  return stored && (*stored == u || int64_t(*stored) == s);
}

TarIndex index_tar(const ByteSource& src, const OpenLimits& limits, std::vector<Finding>& findings) {
  TarIndex idx;
  const uint64_t size = src.size();
  auto add = [&](std::string rule, std::string m, uint64_t off, std::string subject = {}) {
    findings.push_back({std::move(rule), Severity::error, std::move(m), off, std::move(subject)});
  };
  std::string long_name;  // from a pax 'x' or GNU 'L' record, for the next member
  uint64_t at = 0;
  uint8_t h[kTarBlock];
  while (true) {
    if (at == size) break;  // no end marker: tar accepts it
    if (!range_within(at, kTarBlock, size)) {
      add("tar.truncated", fmt::format("the archive ends {} bytes into a member header", size - at), at);
      idx.stopped = true;
      break;
    }
    if (!src.read(at, h, kTarBlock)) {
      add("tar.truncated", fmt::format("cannot read the member header at byte {}", at), at);
      idx.stopped = true;
      break;
    }
    if (all_zero(h)) {
      idx.end_marker = true;
      idx.end = at;
      return idx;
    }
    const std::string name_field = field_text(h, 100);
    const auto stored = octal(h + kChecksumAt, 8);
    uint64_t u;
    int64_t s;
    checksums(h, u, s);
    if (!stored || (*stored != u && int64_t(*stored) != s)) {
      add("tar.checksum",
          fmt::format(
              "the header of \"{}\" at byte {} has checksum field \"{}\" but its bytes add up to {} (octal {:o})",
              name_field, at, field_text(h + kChecksumAt, 8), u, u),
          at + kChecksumAt, name_field);
      idx.stopped = true;
      break;
    }
    const auto msize = octal(h + kSizeAt, 12);
    if (!msize) {
      add("tar.size",
          fmt::format("the size field of \"{}\" (\"{}\") is not an octal number", name_field,
                      field_text(h + kSizeAt, 12)),
          at + kSizeAt, name_field);
      idx.stopped = true;
      break;
    }
    TarMember m;
    m.type = char(h[kTypeAt]);
    m.header_offset = at;
    m.data_offset = at + kTarBlock;
    m.size = *msize;
    const std::string prefix = std::memcmp(h + kMagicAt, "ustar\0", 6) == 0 ? field_text(h + kPrefixAt, 155) : "";
    m.name = long_name.empty() ? (prefix.empty() ? name_field : prefix + "/" + name_field) : long_name;
    const CheckedU64 next = CheckedU64(m.data_offset) + pad512(std::min<uint64_t>(m.size, UINT64_MAX - 1024));
    if (!range_within(m.data_offset, m.size, size)) {
      m.complete = false;
      add("tar.size",
          fmt::format("\"{}\" declares {} bytes but the archive holds only {} after its header", m.name, m.size,
                      size - std::min(size, m.data_offset)),
          at + kSizeAt, m.name);
    }
    if (m.type == 'x' || m.type == 'L') {
      // The next member's name: read the record (small) when it is complete.
      long_name.clear();
      if (m.complete && m.size <= kMaxLongName) {
        std::string body(size_t(m.size), '\0');
        if (src.read(m.data_offset, body.data(), body.size())) {
          if (m.type == 'L')
            long_name = body.substr(0, body.find('\0'));
          else if (auto p = pax_path(body))
            long_name = *p;
        }
      }
    } else {
      long_name.clear();
    }
    if (m.type != 'x' && m.type != 'L' && m.type != 'g') {
      if (idx.members.size() == limits.max_tar_members) {
        add("tar.too_many_members",
            fmt::format("more than {} members: the rest are not listed", limits.max_tar_members), at);
        idx.stopped = true;
        break;
      }
      idx.members.push_back(m);
    }
    if (!m.complete) {
      idx.stopped = true;
      idx.end = size;
      return idx;
    }
    at = next.value();
    idx.end = std::min(at, size);
    if (at > size) break;
  }
  return idx;
}

const TarMember* find_member(const TarIndex& index, const std::string& name) {
  const TarMember* found = nullptr;
  for (const auto& m : index.members)
    if (m.is_file() && m.name == name) found = &m;
  return found;
}

bool make_tar_header(const std::string& name, uint64_t size, uint64_t mtime, std::array<uint8_t, 512>& out) {
  out.fill(0);
  std::string prefix, base = name;
  if (base.size() > 100) {
    const size_t slash = name.rfind('/', 155);
    if (slash == std::string::npos || name.size() - slash - 1 > 100) return false;
    prefix = name.substr(0, slash);
    base = name.substr(slash + 1);
  }
  if (size >= (uint64_t(1) << 33)) return false;  // 11 octal digits; ckpt writes no member that large
  auto put = [&](uint64_t at, const std::string& s) { std::memcpy(out.data() + at, s.data(), s.size()); };
  put(0, base);
  put(100, "0000644");
  put(108, "0000000");
  put(116, "0000000");
  put(kSizeAt, fmt::format("{:011o}", size));
  put(136, fmt::format("{:011o}", mtime & 077777777777));
  out[kTypeAt] = '0';
  put(kMagicAt, std::string("ustar\0"
                            "00",
                            8));
  put(kPrefixAt, prefix);
  uint64_t u;
  int64_t s;
  checksums(out.data(), u, s);
  put(kChecksumAt, fmt::format("{:06o}", u));
  out[kChecksumAt + 6] = '\0';
  out[kChecksumAt + 7] = ' ';
  return true;
}

}  // namespace ckpt::ttml
