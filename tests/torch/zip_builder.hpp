#pragma once
// Writes small zip archives whose every structure offset the test knows, so that a
// corrupting byte write lands exactly where a test means it to.
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::torch::test {

struct ZipSpec {
  std::string name;
  std::string data;
  bool deflate = false;
  bool descriptor = false;  // sizes and CRC in a data descriptor after the data (flag bit 3)
  bool zip64 = false;       // 0xFFFFFFFF sizes and offset with a ZIP64 extra in the central directory
};

struct BuiltZip {
  std::vector<uint8_t> bytes;
  std::vector<uint64_t> local, central, data;
  uint64_t cd_offset = 0, cd_size = 0, eocd = 0;
  std::optional<uint64_t> zip64_eocd, zip64_locator;
};

inline std::string raw_deflate(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(in.size())) + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class ZipWriter {
 public:
  void u16(uint16_t v) {
    b.push_back(uint8_t(v));
    b.push_back(uint8_t(v >> 8));
  }
  void u32(uint32_t v) {
    u16(uint16_t(v));
    u16(uint16_t(v >> 16));
  }
  void u64(uint64_t v) {
    u32(uint32_t(v));
    u32(uint32_t(v >> 32));
  }
  void text(const std::string& s) { b.insert(b.end(), s.begin(), s.end()); }
  std::vector<uint8_t> b;
};

inline BuiltZip build_zip(const std::vector<ZipSpec>& specs, bool zip64_end = false) {
  BuiltZip z;
  ZipWriter w;
  std::vector<std::string> stored;
  std::vector<uint32_t> crcs;
  for (const ZipSpec& s : specs) {
    std::string payload = s.deflate ? raw_deflate(s.data) : s.data;
    uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(s.data.data()), uInt(s.data.size())));
    z.local.push_back(w.b.size());
    w.u32(0x04034b50);
    w.u16(20);
    w.u16(s.descriptor ? 0x08 : 0);
    w.u16(s.deflate ? 8 : 0);
    w.u16(0);
    w.u16(0);
    w.u32(s.descriptor ? 0 : crc);
    w.u32(s.descriptor ? 0 : uint32_t(payload.size()));
    w.u32(s.descriptor ? 0 : uint32_t(s.data.size()));
    w.u16(uint16_t(s.name.size()));
    w.u16(0);
    w.text(s.name);
    z.data.push_back(w.b.size());
    w.text(payload);
    if (s.descriptor) {
      w.u32(0x08074b50);
      w.u32(crc);
      w.u32(uint32_t(payload.size()));
      w.u32(uint32_t(s.data.size()));
    }
    stored.push_back(payload);
    crcs.push_back(crc);
  }
  z.cd_offset = w.b.size();
  for (size_t i = 0; i < specs.size(); ++i) {
    const ZipSpec& s = specs[i];
    z.central.push_back(w.b.size());
    w.u32(0x02014b50);
    w.u16(45);
    w.u16(45);
    w.u16(s.descriptor ? 0x08 : 0);
    w.u16(s.deflate ? 8 : 0);
    w.u16(0);
    w.u16(0);
    w.u32(crcs[i]);
    w.u32(s.zip64 ? 0xFFFFFFFF : uint32_t(stored[i].size()));
    w.u32(s.zip64 ? 0xFFFFFFFF : uint32_t(s.data.size()));
    w.u16(uint16_t(s.name.size()));
    w.u16(s.zip64 ? 28 : 0);
    w.u16(0);
    w.u16(0);
    w.u16(0);
    w.u32(0);
    w.u32(s.zip64 ? 0xFFFFFFFF : uint32_t(z.local[i]));
    w.text(s.name);
    if (s.zip64) {
      w.u16(0x0001);
      w.u16(24);
      w.u64(s.data.size());
      w.u64(stored[i].size());
      w.u64(z.local[i]);
    }
  }
  z.cd_size = w.b.size() - z.cd_offset;
  if (zip64_end) {
    z.zip64_eocd = w.b.size();
    w.u32(0x06064b50);
    w.u64(44);
    w.u16(45);
    w.u16(45);
    w.u32(0);
    w.u32(0);
    w.u64(specs.size());
    w.u64(specs.size());
    w.u64(z.cd_size);
    w.u64(z.cd_offset);
    z.zip64_locator = w.b.size();
    w.u32(0x07064b50);
    w.u32(0);
    w.u64(*z.zip64_eocd);
    w.u32(1);
  }
  z.eocd = w.b.size();
  w.u32(0x06054b50);
  w.u16(0);
  w.u16(0);
  w.u16(zip64_end ? 0xFFFF : uint16_t(specs.size()));
  w.u16(zip64_end ? 0xFFFF : uint16_t(specs.size()));
  w.u32(zip64_end ? 0xFFFFFFFF : uint32_t(z.cd_size));
  w.u32(zip64_end ? 0xFFFFFFFF : uint32_t(z.cd_offset));
  w.u16(0);
  z.bytes = std::move(w.b);
  return z;
}

inline void put32(std::vector<uint8_t>& b, uint64_t at, uint32_t v) {
  for (int k = 0; k < 4; ++k) b[at + k] = uint8_t(v >> (8 * k));
}
inline void put16(std::vector<uint8_t>& b, uint64_t at, uint16_t v) {
  b[at] = uint8_t(v);
  b[at + 1] = uint8_t(v >> 8);
}

}  // namespace ckpt::torch::test

namespace ckpt::torch::test {

// A member of a sparse archive: either its bytes, or a size whose bytes are a hole.
struct SparseMember {
  std::string name;
  std::string data;
  uint64_t hole = 0;  // > 0: a stored member of this many zero bytes never written
};

struct SparseLayout {
  std::vector<uint64_t> local, data;
  uint64_t size = 0;
};

// Writes a stored ZIP64 archive with pwrite, leaving holes for the large members, so a
// multi-GB file costs a few KB of disk. Every member carries ZIP64 sizes (local header)
// and sizes + offset (central directory); a ZIP64 end record follows the directory.
inline SparseLayout write_sparse_zip(int fd, const std::vector<SparseMember>& members) {
  SparseLayout out;
  uint64_t at = 0;
  std::vector<uint32_t> crcs;
  auto write = [&](uint64_t where, const std::vector<uint8_t>& b) {
    return pwrite(fd, b.data(), b.size(), off_t(where)) == ssize_t(b.size());
  };
  for (const auto& m : members) {
    uint64_t size = m.hole ? m.hole : m.data.size();
    uint32_t crc = m.hole ? 0 : uint32_t(crc32(0, reinterpret_cast<const Bytef*>(m.data.data()), uInt(m.data.size())));
    crcs.push_back(crc);
    ZipWriter w;
    w.u32(0x04034b50);
    w.u16(45);
    w.u16(0);
    w.u16(0);
    w.u32(0);
    w.u32(crc);
    w.u32(0xFFFFFFFF);
    w.u32(0xFFFFFFFF);
    w.u16(uint16_t(m.name.size()));
    w.u16(20);
    w.text(m.name);
    w.u16(1);
    w.u16(16);
    w.u64(size);
    w.u64(size);
    w.text(m.data);
    out.local.push_back(at);
    out.data.push_back(at + w.b.size() - m.data.size());
    if (!write(at, w.b)) return {};
    at += w.b.size() + m.hole;
  }
  ZipWriter c;
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& m = members[i];
    uint64_t size = m.hole ? m.hole : m.data.size();
    c.u32(0x02014b50);
    c.u16(45);
    c.u16(45);
    c.u16(0);
    c.u16(0);
    c.u32(0);
    c.u32(crcs[i]);
    c.u32(0xFFFFFFFF);
    c.u32(0xFFFFFFFF);
    c.u16(uint16_t(m.name.size()));
    c.u16(28);
    c.u16(0);
    c.u16(0);
    c.u16(0);
    c.u32(0);
    c.u32(0xFFFFFFFF);
    c.text(m.name);
    c.u16(1);
    c.u16(24);
    c.u64(size);
    c.u64(size);
    c.u64(out.local[i]);
  }
  uint64_t cd_size = c.b.size(), z64 = at + cd_size;
  c.u32(0x06064b50);
  c.u64(44);
  c.u16(45);
  c.u16(45);
  c.u32(0);
  c.u32(0);
  c.u64(members.size());
  c.u64(members.size());
  c.u64(cd_size);
  c.u64(at);
  c.u32(0x07064b50);
  c.u32(0);
  c.u64(z64);
  c.u32(1);
  c.u32(0x06054b50);
  c.u16(0);
  c.u16(0);
  c.u16(uint16_t(members.size()));
  c.u16(uint16_t(members.size()));
  c.u32(uint32_t(cd_size));
  c.u32(0xFFFFFFFF);
  c.u16(0);
  if (!write(at, c.b)) return {};
  out.size = at + c.b.size();
  return out;
}

}  // namespace ckpt::torch::test
