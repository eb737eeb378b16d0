#pragma once
// Internal to the zip reader: little-endian field access into a fixed header buffer,
// the record signatures, and the stages read_zip runs in order.
#include <cstdint>
#include <cstring>

#include "zip_reader.hpp"

namespace ckpt::torch::zip {

inline constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEocdSig = 0x06054b50,
                          kZip64EocdSig = 0x06064b50, kZip64LocatorSig = 0x07064b50, kDescriptorSig = 0x08074b50;
inline constexpr uint16_t kZip64ExtraId = 0x0001, kTorchPaddingId = 0x4246;  // 'FB'
inline constexpr size_t kEocdSize = 22, kZip64LocatorSize = 20, kZip64EocdSize = 56, kCentralSize = 46, kLocalSize = 30;
inline constexpr uint64_t kMaxEocdSearch = kEocdSize + 0xFFFF;  // record + longest comment: 65557

inline uint16_t u16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t u64(const uint8_t* p) { return uint64_t(u32(p)) | uint64_t(u32(p + 4)) << 32; }

// Stage 1: the EOCD and, when present, the ZIP64 records; fills the directory location.
Result<bool> read_end_records(const ByteSource& src, ZipArchive& z);
// Stage 2: the central directory entries.
Result<bool> read_central_directory(const ByteSource& src, const ZipLimits& limits, ZipArchive& z);
// Stage 3: each local header, cross-checked, and the data layout (past EOF, overlaps).
void check_local_headers(const ByteSource& src, ZipArchive& z);
void check_layout(ZipArchive& z);

// Values from a ZIP64 extra field: only the fields that are saturated in the header are
// present, in the order usize, csize, offset. Returns false when the block is malformed.
struct Zip64Fields {
  bool need_usize = false, need_csize = false, need_offset = false;
  std::optional<uint64_t> usize, csize, offset;
  uint32_t padding = 0;  // torch's 'FB' alignment field, local headers only
  bool malformed = false;
  bool had_zip64 = false;
};
void parse_extra(const uint8_t* p, size_t n, Zip64Fields& f);

}  // namespace ckpt::torch::zip
