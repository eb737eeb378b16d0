#pragma once
// POSIX ustar archives (a checkpoint folder packed with tar; the PR-branch tar writer):
// the member index read header by header (512 bytes each, never the data), with every
// header's checksum and size checked, and the headers a writer needs.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/limits.hpp"

namespace ckpt::ttml {

constexpr uint64_t kTarBlock = 512;

struct TarMember {
  std::string name;            // the path (ustar prefix + name, or a pax / GNU long name)
  char type = '0';             // '0' (or NUL) a file, '5' a folder, ...
  uint64_t header_offset = 0;  // the member's 512-byte header
  uint64_t data_offset = 0;    // its first data byte
  uint64_t size = 0;           // the header's size field (bytes present may be fewer)
  bool complete = true;        // all `size` bytes are inside the archive
  bool is_file() const { return type == '0' || type == '\0' || type == '7'; }
};

struct TarIndex {
  std::vector<TarMember> members;  // archive order
  uint64_t end = 0;                // one past the last member's padded data
  bool end_marker = false;         // two zero blocks (or one, then the file's end) close it
  bool stopped = false;            // a broken header stopped the walk
};

// Detection: a ustar magic at 257 and a first header whose checksum is right.
bool looks_like_tar(const ByteSource& src);

// Walks the member headers from the start. A header whose checksum does not add up
// (tar.checksum) or whose size field is not a number or runs past the archive
// (tar.size) stops the walk with a finding at the field's offset; at most
// limits.max_tar_members members are listed (tar.too_many_members).
TarIndex index_tar(const ByteSource& src, const OpenLimits& limits, std::vector<Finding>& findings);

// The members that are files, by name (later members replace earlier ones, as tar -x does).
const TarMember* find_member(const TarIndex& index, const std::string& name);

// A ustar header for a regular file (mode 0644, uid/gid 0, the given mtime), checksummed.
// Fails (returns false) for names longer than ustar's 100 + 155 bytes.
bool make_tar_header(const std::string& name, uint64_t size, uint64_t mtime, std::array<uint8_t, 512>& out);

}  // namespace ckpt::ttml
