// Stage 3 of read_zip: local headers against the central directory, then the layout of
// the members' bytes (inside the file, apart from each other and from the directory).
#include <algorithm>
#include <vector>

#include "ckpt/checked.hpp"
#include "torch_codes.hpp"
#include "zip_internal.hpp"

namespace ckpt::torch {

namespace zip {

namespace {

void mismatch(ZipArchive& z, const ZipEntry& e, const std::string& what) {
  z.findings.push_back(make_finding(rules::zip_local_mismatch,
                                    "local header " + what + " differs from the central directory",
                                    e.local_header_offset, e.name));
}

// The data descriptor after the data (flag bit 3): optional signature, CRC, sizes
// (8-byte sizes when the member is ZIP64).
void check_descriptor(const ByteSource& src, ZipArchive& z, const ZipEntry& e) {
  uint64_t at = e.data_offset + e.compressed_size;
  uint8_t d[24] = {};
  size_t n = src.read_available(at, d, sizeof d);
  size_t base = n >= 4 && u32(d) == kDescriptorSig ? 4 : 0;
  size_t need = base + (e.zip64 ? 20 : 12);
  if (n < need) {
    z.findings.push_back(
        make_finding(rules::zip_member_past_eof, "data descriptor past the end of the file", at, e.name));
    return;
  }
  uint32_t crc = u32(d + base);
  uint64_t csize = e.zip64 ? u64(d + base + 4) : u32(d + base + 4);
  uint64_t usize = e.zip64 ? u64(d + base + 12) : u32(d + base + 8);
  if (crc != e.crc32 || csize != e.compressed_size || usize != e.uncompressed_size)
    z.findings.push_back(make_finding(rules::zip_data_descriptor_mismatch,
                                      "data descriptor CRC or sizes differ from the central directory", at, e.name));
}

void check_method(ZipArchive& z, const ZipEntry& e) {
  if (e.encrypted())
    z.findings.push_back(make_finding(rules::zip_encrypted, "encrypted member", e.central_offset, e.name));
  if (e.method != 0 && e.method != 8)
    z.findings.push_back(make_finding(rules::zip_unsupported_method, "compression method " + std::to_string(e.method),
                                      e.central_offset, e.name));
  if (e.method == 0 && e.compressed_size != e.uncompressed_size)
    z.findings.push_back(make_finding(rules::zip_stored_size,
                                      "stored member of " + std::to_string(e.compressed_size) + " bytes claims " +
                                          std::to_string(e.uncompressed_size),
                                      e.central_offset, e.name));
}

void check_local(const ByteSource& src, ZipArchive& z, ZipEntry& e) {
  uint8_t h[kLocalSize];
  if (!range_within(e.local_header_offset, kLocalSize, z.file_size) || !src.read(e.local_header_offset, h, sizeof h)) {
    z.findings.push_back(make_finding(rules::zip_member_past_eof, "local header past the end of the file",
                                      e.local_header_offset, e.name));
    return;
  }
  if (u32(h) != kLocalSig) {
    z.findings.push_back(
        make_finding(rules::zip_local_signature, "no local header signature", e.local_header_offset, e.name));
    return;
  }
  size_t name_len = u16(h + 26), extra_len = u16(h + 28);
  std::vector<uint8_t> var(name_len + extra_len);
  if (!src.read(e.local_header_offset + kLocalSize, var.data(), var.size())) {
    z.findings.push_back(make_finding(rules::zip_member_past_eof, "local header name or extra past the end of the file",
                                      e.local_header_offset, e.name));
    return;
  }
  e.local_ok = true;
  e.data_offset = e.local_header_offset + kLocalSize + name_len + extra_len;
  std::string_view local_name(reinterpret_cast<const char*>(var.data()), name_len);
  if (e.name_truncated ? local_name.substr(0, e.name.size()) != e.name : local_name != e.name) mismatch(z, e, "name");
  if (u16(h + 8) != e.method) mismatch(z, e, "method");
  Zip64Fields f;
  f.need_usize = u32(h + 22) == 0xFFFFFFFF;
  f.need_csize = u32(h + 18) == 0xFFFFFFFF;
  parse_extra(var.data() + name_len, extra_len, f);
  if (f.malformed)
    z.findings.push_back(make_finding(rules::zip_extra_malformed, "local extra field runs past its block",
                                      e.local_header_offset, e.name));
  e.alignment_padding = f.padding;
  if (!(u16(h + 6) & 0x08)) {  // sizes and CRC are in the local header itself
    if (u32(h + 14) != e.crc32) mismatch(z, e, "CRC-32");
    if (f.csize.value_or(u32(h + 18)) != e.compressed_size) mismatch(z, e, "compressed size");
    if (f.usize.value_or(u32(h + 22)) != e.uncompressed_size) mismatch(z, e, "uncompressed size");
  }
  CheckedU64 end = CheckedU64(e.data_offset) + CheckedU64(e.compressed_size);
  if (!end.ok() || end.value() > z.file_size) {
    z.findings.push_back(make_finding(rules::zip_member_past_eof,
                                      "data of " + std::to_string(e.compressed_size) + " bytes at " +
                                          std::to_string(e.data_offset) + " runs past the end of the file (" +
                                          std::to_string(z.file_size) + ")",
                                      e.data_offset, e.name));
    return;
  }
  e.data_in_file = true;
  if (e.data_descriptor()) check_descriptor(src, z, e);
}

}  // namespace

void check_local_headers(const ByteSource& src, ZipArchive& z) {
  for (ZipEntry& e : z.entries) {
    check_method(z, e);
    check_local(src, z, e);
  }
}

// Members sorted by where they start must not reach into the next one nor into the
// central directory; names must be unique.
void check_layout(ZipArchive& z) {
  std::vector<const ZipEntry*> order;
  for (const ZipEntry& e : z.entries)
    if (e.data_in_file) order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const ZipEntry* a, const ZipEntry* b) { return a->local_header_offset < b->local_header_offset; });
  for (size_t k = 0; k < order.size(); ++k) {
    const ZipEntry& e = *order[k];
    uint64_t end = e.data_offset + e.compressed_size;
    if (k + 1 < order.size() && end > order[k + 1]->local_header_offset)
      z.findings.push_back(make_finding(rules::zip_members_overlap,
                                        "member data ends at " + std::to_string(end) + ", after " + order[k + 1]->name +
                                            " starts at " + std::to_string(order[k + 1]->local_header_offset),
                                        order[k + 1]->local_header_offset, e.name));
    if (end > z.cd_offset && e.local_header_offset < z.cd_offset + z.cd_size)
      z.findings.push_back(make_finding(rules::zip_member_overlaps_cd, "member bytes run into the central directory",
                                        e.data_offset, e.name));
  }
  if (!order.empty() && order[0]->local_header_offset > 0)
    z.findings.push_back(make_finding(
        rules::zip_prefix_bytes, std::to_string(order[0]->local_header_offset) + " bytes before the first member", 0));
  std::vector<const ZipEntry*> by_name;
  for (const ZipEntry& e : z.entries) by_name.push_back(&e);
  std::sort(by_name.begin(), by_name.end(), [](const ZipEntry* a, const ZipEntry* b) {
    return a->name != b->name ? a->name < b->name : a->central_offset < b->central_offset;
  });
  for (size_t k = 1; k < by_name.size(); ++k)
    if (by_name[k]->name == by_name[k - 1]->name)
      z.findings.push_back(make_finding(rules::zip_duplicate_name, "a second member of this name",
                                        by_name[k]->central_offset, by_name[k]->name));
}

}  // namespace zip

Result<ZipArchive> read_zip(const ByteSource& src, const ZipLimits& limits) {
  ZipArchive z;
  if (auto r = zip::read_end_records(src, z); !r) return r.error();
  if (auto r = zip::read_central_directory(src, limits, z); !r) return r.error();
  zip::check_local_headers(src, z);
  zip::check_layout(z);
  return z;
}

}  // namespace ckpt::torch
