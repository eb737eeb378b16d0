#include "legacy_torch.hpp"

#include <cstring>

#include "ckpt/checked.hpp"
#include "torch_codes.hpp"

namespace ckpt::torch {

namespace {

// 0x1950a86a20f9469cfc6c, little-endian, as LONG1 writes it.
constexpr uint8_t kMagicBytes[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kProtocolVersion = 1001;

bool is_magic(const PickleResult& r) {
  if (!r.complete || !r.graph.valid(r.root)) return false;
  const PyObj& o = r.graph.at(r.root);
  return o.kind == PyKind::big_integer && o.text.size() == 10 && std::memcmp(o.text.data(), kMagicBytes, 10) == 0;
}

Result<PickleResult> next_pickle(const ByteSource& src, uint64_t at, const PickleLimits& limits, const char* what) {
  auto r = unpickle(src, at, src.size() - std::min(at, src.size()), limits);
  if (!r) return r.error();
  if (!r->complete)
    return Error{ErrorCode::format_structure, std::string("the ") + what + " pickle ends without STOP", at,
                 std::string(errc::torch_pickle)};
  return r;
}

// sys_info = {'protocol_version': 1001, 'little_endian': bool, 'type_sizes': {...}}
void check_sys_info(LegacyCheckpoint& c) {
  const PickleGraph& g = c.sys_info.graph;
  const PyObj& d = g.at(c.sys_info.root);
  bool ok = d.kind == PyKind::dict;
  for (size_t k = 0; ok && k + 1 < d.pairs.size(); k += 2) {
    const std::string* key = g.str(d.pairs[k]);
    int64_t v = 0;
    if (key && *key == "little_endian" && g.integer(d.pairs[k + 1], v)) c.little_endian = v != 0;
  }
  if (!ok) c.findings.push_back(make_finding(rules::torch_legacy_header, "sys_info is no dict", c.sys_info.begin));
  if (!c.little_endian)
    c.findings.push_back(make_finding(rules::torch_big_endian, "sys_info says big-endian", c.sys_info.begin));
}

void read_keys(LegacyCheckpoint& c) {
  const PickleGraph& g = c.keys.graph;
  const PyObj& list = g.at(c.keys.root);
  bool ok = list.kind == PyKind::list || list.kind == PyKind::tuple;
  for (uint32_t i : list.items) {
    const std::string* s = g.str(i);
    if (!s)
      ok = false;
    else
      c.storage_keys.push_back(*s);
  }
  if (!ok)
    c.findings.push_back(
        make_finding(rules::torch_legacy_keys, "the storage-key pickle is not a list of strings", c.keys.begin));
}

// The records after the last pickle; each needs the element size of its storage's type.
void read_records(const ByteSource& src, LegacyCheckpoint& c) {
  uint64_t at = c.keys.end;
  for (const std::string& key : c.storage_keys) {
    const TorchStorage* s = c.model.storage(key);
    if (!s || dtype_size(s->dtype) == 0) {
      c.findings.push_back(make_finding(rules::torch_missing_storage,
                                        "storage " + key + " has no known type: its record cannot be sized", at, key));
      break;
    }
    uint8_t b[8];
    if (!src.read(at, b, 8)) {
      c.findings.push_back(make_finding(rules::torch_legacy_truncated, "no element count for storage " + key, at, key));
      break;
    }
    int64_t numel;
    std::memcpy(&numel, b, 8);
    LegacyRecord r{key, at, uint64_t(numel), at + 8, 0};
    CheckedU64 bytes = CheckedU64::from_signed(numel) * CheckedU64(dtype_size(s->dtype));
    if (!bytes.ok() || !range_within(at + 8, bytes.value(), src.size())) {
      c.findings.push_back(
          make_finding(rules::torch_legacy_truncated,
                       "storage " + key + " of " + std::to_string(numel) + " elements runs past the end", at, key));
      break;
    }
    r.nbytes = bytes.value();
    if (r.numel != s->numel)
      c.findings.push_back(make_finding(rules::torch_storage_size_mismatch,
                                        "storage " + key + " record holds " + std::to_string(r.numel) +
                                            " elements, the pickle says " + std::to_string(s->numel),
                                        at, key));
    c.storages.push_back(StorageData{key, r.nbytes, true, r.data_offset, -1});
    c.records.push_back(r);
    at = r.data_offset + r.nbytes;
  }
  c.end_offset = at;
  if (c.records.size() == c.storage_keys.size() && at < src.size())
    c.findings.push_back(make_finding(rules::torch_legacy_trailing,
                                      std::to_string(src.size() - at) + " bytes after the last storage", at));
  for (const TorchStorage& s : c.model.storages) {
    bool listed = false;
    for (const auto& k : c.storage_keys) listed = listed || k == s.key;
    if (!listed)
      c.findings.push_back(
          make_finding(rules::torch_missing_storage, "storage " + s.key + " is not in the key list", s.offset, s.key));
  }
}

}  // namespace

bool looks_like_legacy_torch(const ByteSource& src) {
  // PROTO n, LONG1 10, the magic bytes, STOP
  uint8_t b[15];
  if (!src.read(0, b, sizeof b)) return false;
  return b[0] == 0x80 && b[2] == 0x8a && b[3] == 10 && std::memcmp(b + 4, kMagicBytes, 10) == 0 && b[14] == '.';
}

Result<LegacyCheckpoint> read_legacy_torch(const ByteSource& src, const TorchReadOptions& options) {
  LegacyCheckpoint c;
  auto magic = next_pickle(src, 0, options.pickle, "magic number");
  if (!magic || !is_magic(*magic))
    return Error{ErrorCode::format_structure, "no legacy torch magic number pickle at offset 0", 0,
                 std::string(errc::torch_not_legacy)};
  c.magic = std::move(*magic);
  // The magic number is a long beyond int64 by design: not worth an info finding.
  std::erase_if(c.magic.findings, [](const Finding& f) { return f.rule == "pickle.big_int"; });
  auto protocol = next_pickle(src, c.magic.end, options.pickle, "protocol version");
  if (!protocol) return protocol.error();
  c.protocol = std::move(*protocol);
  int64_t version = 0;
  if (!c.protocol.graph.integer(c.protocol.root, version) || version != kProtocolVersion)
    c.findings.push_back(make_finding(rules::torch_legacy_header, "protocol version is not 1001", c.protocol.begin));
  auto sys_info = next_pickle(src, c.protocol.end, options.pickle, "sys_info");
  if (!sys_info) return sys_info.error();
  c.sys_info = std::move(*sys_info);
  check_sys_info(c);
  // The main pickle is kept even when broken: its globals and findings are what a
  // security scan needs most. Without its end, nothing after it can be located.
  auto main = unpickle(src, c.sys_info.end, src.size() - c.sys_info.end, options.pickle);
  if (!main) return main.error();
  c.main = std::move(*main);
  c.model = interpret_torch_pickle(c.main, options.walk);
  if (!c.main.complete) return c;
  auto keys = next_pickle(src, c.main.end, options.pickle, "storage key");
  if (!keys) return keys.error();
  c.keys = std::move(*keys);
  read_keys(c);
  read_records(src, c);
  return c;
}

}  // namespace ckpt::torch
