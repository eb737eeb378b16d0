// Stages 1 and 2 of read_zip: end records and central directory.
#include <algorithm>
#include <vector>

#include "byte_cursor.hpp"
#include "ckpt/checked.hpp"
#include "torch_codes.hpp"
#include "zip_internal.hpp"

namespace ckpt::torch {

const ZipEntry* ZipArchive::find(std::string_view name) const {
  for (const auto& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

namespace zip {

namespace {

Error zip_error(std::string_view code, std::string message, std::optional<uint64_t> offset) {
  return Error{ErrorCode::format_structure, std::move(message), offset, std::string(code)};
}

// The EOCD nearest the end whose comment fits in the file. One that ends exactly at the
// end of the file wins; otherwise the last candidate is taken with a finding, as
// Python's zipfile and most readers do.
std::optional<uint64_t> find_eocd(const ByteSource& src, ZipArchive& z) {
  uint64_t size = src.size();
  if (size < kEocdSize) return std::nullopt;
  // torch.save writes no archive comment: the record is the last 22 bytes. Only when it
  // is not is the 64 KiB a comment may take searched (opening reads the header only).
  uint8_t last[kEocdSize];
  if (src.read(size - kEocdSize, last, kEocdSize) && u32(last) == kEocdSig && u16(last + 20) == 0)
    return size - kEocdSize;
  uint64_t window = std::min<uint64_t>(size, kMaxEocdSearch);
  std::vector<uint8_t> tail(size_t(window), 0);
  if (!src.read(size - window, tail.data(), tail.size())) return std::nullopt;
  std::optional<uint64_t> fallback;
  for (size_t i = tail.size() - kEocdSize + 1; i-- > 0;) {
    if (u32(&tail[i]) != kEocdSig) continue;
    uint64_t comment = u16(&tail[i + 20]);
    uint64_t at = size - window + i;
    if (i + kEocdSize + comment == tail.size()) return at;
    if (!fallback) fallback = at;
  }
  if (fallback) {
    z.findings.push_back(make_finding(rules::zip_eocd_comment,
                                      "the end record's comment does not end at the end of the file", *fallback));
  }
  return fallback;
}

// The ZIP64 locator sits right before the EOCD and points at the ZIP64 EOCD record.
Result<bool> read_zip64(const ByteSource& src, ZipArchive& z, bool needed) {
  if (z.eocd_offset < kZip64LocatorSize) return false;
  uint64_t loc = z.eocd_offset - kZip64LocatorSize;
  uint8_t l[kZip64LocatorSize];
  if (!src.read(loc, l, sizeof l) || u32(l) != kZip64LocatorSig) return false;
  z.zip64_locator_offset = loc;
  uint64_t rec = u64(l + 8);
  uint8_t r[kZip64EocdSize];
  if (!range_within(rec, kZip64EocdSize, loc) || !src.read(rec, r, sizeof r) || u32(r) != kZip64EocdSig) {
    if (needed)
      return zip_error(errc::zip_zip64, "the ZIP64 locator points at no ZIP64 end record (" + std::to_string(rec) + ")",
                       loc);
    z.findings.push_back(
        make_finding(rules::zip_zip64_mismatch, "the ZIP64 locator points at no ZIP64 end record", loc));
    return false;
  }
  z.zip64_eocd_offset = rec;
  if (u32(l + 4) != 0 || u32(l + 16) > 1 || u32(r + 16) != 0 || u32(r + 20) != 0)
    z.findings.push_back(make_finding(rules::zip_multi_disk, "ZIP64 records name other disks", rec));
  uint64_t entries = u64(r + 32), cd_size = u64(r + 40), cd_offset = u64(r + 48);
  if (u64(r + 24) != entries)
    z.findings.push_back(make_finding(rules::zip_entry_count, "ZIP64 entries on this disk and in total differ", rec));
  auto differs = [](uint64_t eocd, uint64_t sat, uint64_t v) { return eocd != sat && eocd != v; };
  if (differs(z.declared_entries, 0xFFFF, entries) || differs(z.cd_size, 0xFFFFFFFF, cd_size) ||
      differs(z.cd_offset, 0xFFFFFFFF, cd_offset))
    z.findings.push_back(make_finding(rules::zip_zip64_mismatch, "ZIP64 end record contradicts the EOCD", rec));
  z.declared_entries = entries;
  z.cd_size = cd_size;
  z.cd_offset = cd_offset;
  return true;
}

}  // namespace

Result<bool> read_end_records(const ByteSource& src, ZipArchive& z) {
  z.file_size = src.size();
  auto eocd = find_eocd(src, z);
  if (!eocd) return zip_error(errc::zip_no_eocd, "no end of central directory record in the last 65557 bytes", {});
  z.eocd_offset = *eocd;
  uint8_t e[kEocdSize];
  if (!src.read(z.eocd_offset, e, sizeof e))
    return zip_error(errc::zip_no_eocd, "unreadable end record", z.eocd_offset);
  if (u16(e + 4) != 0 || u16(e + 6) != 0)
    z.findings.push_back(make_finding(rules::zip_multi_disk, "the end record names other disks", z.eocd_offset));
  if (u16(e + 8) != u16(e + 10))
    z.findings.push_back(
        make_finding(rules::zip_entry_count, "entries on this disk and in total differ", z.eocd_offset));
  z.declared_entries = u16(e + 10);
  z.cd_size = u32(e + 12);
  z.cd_offset = u32(e + 16);
  bool saturated = z.declared_entries == 0xFFFF || z.cd_size == 0xFFFFFFFF || z.cd_offset == 0xFFFFFFFF;
  auto z64 = read_zip64(src, z, saturated);
  if (!z64) return z64.error();
  // The directory must end before the record that describes it.
  uint64_t limit = z.zip64_eocd_offset ? *z.zip64_eocd_offset : z.eocd_offset;
  if (!range_within(z.cd_offset, z.cd_size, limit))
    return zip_error(errc::zip_cd_out_of_bounds,
                     "central directory [" + std::to_string(z.cd_offset) + ", +" + std::to_string(z.cd_size) +
                         ") does not end before its end record at " + std::to_string(limit),
                     z.eocd_offset);
  return true;
}

void parse_extra(const uint8_t* p, size_t n, Zip64Fields& f) {
  size_t i = 0;
  while (i + 4 <= n) {
    uint16_t id = u16(p + i), len = u16(p + i + 2);
    if (len > n - i - 4) {
      f.malformed = true;
      return;
    }
    const uint8_t* d = p + i + 4;
    if (id == kZip64ExtraId) {
      f.had_zip64 = true;
      size_t k = 0;
      auto take = [&](bool need, std::optional<uint64_t>& out) {
        if (!need) return;
        if (k + 8 <= len) out = u64(d + k);
        k += 8;
      };
      take(f.need_usize, f.usize);
      take(f.need_csize, f.csize);
      take(f.need_offset, f.offset);
    } else if (id == kTorchPaddingId) {
      f.padding = len;
    }
    i += 4 + size_t(len);
  }
  if (i != n) f.malformed = true;  // a trailing fragment shorter than a field header
}

namespace {

// One central directory record at the cursor; false when the listing must stop.
bool read_central_entry(ByteCursor& cur, const ZipLimits& limits, ZipArchive& z) {
  uint64_t at = cur.position();
  uint8_t h[kCentralSize];
  if (!cur.read(h, sizeof h) || u32(h) != kCentralSig) {
    z.findings.push_back(
        make_finding(rules::zip_cd_signature,
                     "no central directory record where entry " + std::to_string(z.entries.size()) + " should be", at));
    return false;
  }
  ZipEntry e;
  e.central_offset = at;
  e.flags = u16(h + 8);
  e.method = u16(h + 10);
  e.crc32 = u32(h + 16);
  e.compressed_size = u32(h + 20);
  e.uncompressed_size = u32(h + 24);
  e.local_header_offset = u32(h + 42);
  size_t name_len = u16(h + 28), extra_len = u16(h + 30), comment_len = u16(h + 32);
  std::string name(name_len, '\0');
  std::vector<uint8_t> extra(extra_len);
  if (!cur.read(name.data(), name_len) || !cur.read(extra.data(), extra_len) || !cur.skip(comment_len)) {
    z.findings.push_back(
        make_finding(rules::zip_cd_size,
                     "entry " + std::to_string(z.entries.size()) + " runs past the end of the central directory", at));
    return false;
  }
  if (name_len > limits.max_name) {
    name.resize(limits.max_name);
    e.name_truncated = true;
    z.findings.push_back(
        make_finding(rules::zip_name_too_long, "a name of " + std::to_string(name_len) + " bytes", at, name));
  }
  e.name = std::move(name);
  if (u16(h + 34) != 0)
    z.findings.push_back(make_finding(rules::zip_multi_disk, "member starts on another disk", at, e.name));
  Zip64Fields f;
  f.need_usize = e.uncompressed_size == 0xFFFFFFFF;
  f.need_csize = e.compressed_size == 0xFFFFFFFF;
  f.need_offset = e.local_header_offset == 0xFFFFFFFF;
  parse_extra(extra.data(), extra.size(), f);
  if (f.malformed)
    z.findings.push_back(
        make_finding(rules::zip_extra_malformed, "central extra field runs past its block", at, e.name));
  if ((f.need_usize && !f.usize) || (f.need_csize && !f.csize) || (f.need_offset && !f.offset))
    z.findings.push_back(
        make_finding(rules::zip_zip64_extra_missing, "0xFFFFFFFF field without its ZIP64 value", at, e.name));
  e.uncompressed_size = f.usize.value_or(e.uncompressed_size);
  e.compressed_size = f.csize.value_or(e.compressed_size);
  e.local_header_offset = f.offset.value_or(e.local_header_offset);
  e.zip64 = f.usize || f.csize || f.offset;
  z.entries.push_back(std::move(e));
  return true;
}

}  // namespace

Result<bool> read_central_directory(const ByteSource& src, const ZipLimits& limits, ZipArchive& z) {
  if (z.declared_entries > limits.max_entries)
    return zip_error(errc::zip_too_many_entries,
                     std::to_string(z.declared_entries) + " entries, limit " + std::to_string(limits.max_entries),
                     z.eocd_offset);
  ByteCursor cur(src, z.cd_offset, z.cd_offset + z.cd_size);
  // Each record takes at least 46 bytes, so the directory's size bounds the reservation.
  z.entries.reserve(size_t(std::min<uint64_t>(z.declared_entries, z.cd_size / kCentralSize)));
  bool broken = false;
  while (!broken && z.entries.size() < z.declared_entries && cur.remaining() > 0)
    broken = !read_central_entry(cur, limits, z);
  if (broken) return true;  // the record that broke the listing has its finding
  if (z.entries.size() != z.declared_entries)
    z.findings.push_back(make_finding(rules::zip_entry_count,
                                      "the end record declares " + std::to_string(z.declared_entries) +
                                          " entries, the directory holds " + std::to_string(z.entries.size()),
                                      z.eocd_offset));
  if (cur.remaining() > 0)
    z.findings.push_back(make_finding(rules::zip_cd_size,
                                      std::to_string(cur.remaining()) + " bytes of the central directory hold no entry",
                                      cur.position()));
  return true;
}

}  // namespace zip

}  // namespace ckpt::torch
