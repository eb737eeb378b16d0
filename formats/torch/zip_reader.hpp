#pragma once
// A zip reader of our own rather than a library: every structure's byte offset is
// needed for findings and for `inspect --at`, every read must go through a bounded
// ByteSource read (a hostile directory cannot make it allocate or seek blindly), and
// header-only work must touch only the end-of-central-directory records, the central
// directory and the local headers, never member data, so that a multi-GB checkpoint
// is listed in a few KB of reads.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/result.hpp"

namespace ckpt::torch {

struct ZipLimits {
  uint64_t max_entries = 1u << 20;  // a torch archive has one member per storage plus a few
  uint32_t max_name = 4096;         // bytes kept of a member name
};

struct ZipEntry {
  std::string name;             // raw bytes as stored: not assumed to be UTF-8
  bool name_truncated = false;  // longer than ZipLimits::max_name; name holds the prefix
  uint16_t flags = 0;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t central_offset = 0;       // of its central directory record
  uint64_t local_header_offset = 0;  // of its local header (PK\3\4)
  uint64_t data_offset = 0;          // first data byte; 0 when the local header is unusable
  bool local_ok = false;             // local header read, signature right
  bool zip64 = false;                // sizes or offset came from a ZIP64 extra field
  uint32_t alignment_padding = 0;    // bytes of the local 'FB' extra torch adds to align data
  bool data_descriptor() const { return flags & 0x08; }
  bool encrypted() const { return flags & 0x01; }
  // True when [data_offset, data_offset + compressed_size) is known and inside the file.
  bool data_in_file = false;
};

struct ZipArchive {
  uint64_t file_size = 0;
  uint64_t eocd_offset = 0;
  std::optional<uint64_t> zip64_locator_offset;
  std::optional<uint64_t> zip64_eocd_offset;
  uint64_t cd_offset = 0;
  uint64_t cd_size = 0;
  uint64_t declared_entries = 0;
  std::vector<ZipEntry> entries;  // in central directory order
  std::vector<Finding> findings;
  // The entry of that exact name (the first of duplicates), or nullptr.
  const ZipEntry* find(std::string_view name) const;
};

// Lists the archive from its end records, central directory and local headers. Fails
// (zip.no_eocd, zip.cd_out_of_bounds, zip.too_many_entries, zip.zip64) only when no
// listing can be trusted; every other problem is a finding with its offset.
Result<ZipArchive> read_zip(const ByteSource& src, const ZipLimits& limits = {});

}  // namespace ckpt::torch
