#include "torch_checkpoint.hpp"

#include <algorithm>
#include <unordered_map>

#include "torch_codes.hpp"
#include "zip_member.hpp"

namespace ckpt::torch {

bool looks_like_zip(const ByteSource& src) {
  uint8_t sig[4];
  return src.read(0, sig, 4) && sig[0] == 'P' && sig[1] == 'K' && sig[2] == 3 && sig[3] == 4;
}

namespace {

// torch writes every record under one folder; data.pkl names it.
Result<size_t> find_data_pkl(const ZipArchive& z, std::string& prefix) {
  std::optional<size_t> found;
  for (size_t i = 0; i < z.entries.size(); ++i) {
    const std::string& n = z.entries[i].name;
    size_t slash = n.find('/');
    if (slash == std::string::npos || n.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    if (found)
      return Error{ErrorCode::format_structure, "more than one <folder>/data.pkl", z.entries[i].central_offset,
                   std::string(errc::torch_no_data_pkl)};
    found = i;
    prefix = n.substr(0, slash);
  }
  if (!found)
    return Error{ErrorCode::format_structure, "no <folder>/data.pkl member", {}, std::string(errc::torch_no_data_pkl)};
  return *found;
}

// A short text record (version, byteorder); nullopt when absent or unreadable.
std::optional<std::string> small_record(const ByteSource& src, const ZipArchive& z, const std::string& name) {
  const ZipEntry* e = z.find(name);
  if (!e || e->uncompressed_size > 64) return std::nullopt;
  auto m = open_member(src, *e);
  if (!m) return std::nullopt;
  std::string s(size_t(e->uncompressed_size), '\0');
  if (!(*m)->read(0, s.data(), s.size())) return std::nullopt;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Stored members are unpickled in place (offsets are file offsets), deflated ones
// through an inflating source (offsets are member offsets).
Result<PickleResult> read_member_pickle(const ByteSource& src, const ZipEntry& e, const PickleLimits& limits,
                                        bool& in_place) {
  auto member = open_member(src, e);
  if (!member) return member.error();
  in_place = e.method == 0;
  if (in_place) return unpickle(src, e.data_offset, e.uncompressed_size, limits);
  return unpickle(**member, 0, e.uncompressed_size, limits);
}

bool looks_like_pickle_member(const ByteSource& src, const ZipEntry& e, const std::string& prefix) {
  const std::string& n = e.name;
  if (n.size() >= 4 && n.compare(n.size() - 4, 4, ".pkl") == 0) return true;
  if (n.rfind(prefix + "/data/", 0) == 0 || e.uncompressed_size < 2) return false;
  auto m = open_member(src, e);
  uint8_t head[2];
  return m && (*m)->read(0, head, 2) && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5;
}

void read_other_pickles(const ByteSource& src, TorchZipCheckpoint& c, const TorchReadOptions& options) {
  // Looking at a member's first bytes may start an inflater: bounded like the pickles.
  uint64_t probes = 0, max_probes = uint64_t(options.max_other_pickles) * 64;
  for (size_t i = 0; i < c.zip.entries.size() && c.other_pickles.size() < options.max_other_pickles; ++i) {
    const ZipEntry& e = c.zip.entries[i];
    if (i == c.data_pkl || ++probes > max_probes || !looks_like_pickle_member(src, e, c.prefix)) continue;
    MemberPickle mp;
    mp.entry = i;
    auto r = read_member_pickle(src, e, options.pickle, mp.in_place);
    if (!r) continue;
    mp.pickle = std::move(*r);
    c.other_pickles.push_back(std::move(mp));
  }
}

void link_storages(TorchZipCheckpoint& c) {
  std::unordered_map<std::string, size_t> by_name;
  for (size_t i = 0; i < c.zip.entries.size(); ++i) by_name.emplace(c.zip.entries[i].name, i);
  std::string data_dir = c.prefix + "/data/";
  std::vector<bool> used(c.zip.entries.size(), false);
  for (const TorchStorage& s : c.model.storages) {
    auto it = by_name.find(data_dir + s.key);
    if (it == by_name.end()) {
      c.findings.push_back(
          make_finding(rules::torch_missing_storage, "no member " + data_dir + s.key, s.offset, s.key));
      continue;
    }
    const ZipEntry& e = c.zip.entries[it->second];
    used[it->second] = true;
    StorageData d;
    d.key = s.key;
    d.nbytes = e.uncompressed_size;
    d.zip_entry = int64_t(it->second);
    d.in_place = e.method == 0 && e.data_in_file && e.local_ok;
    d.data_offset = d.in_place ? e.data_offset : 0;
    if (dtype_size(s.dtype) != 0 && s.nbytes() != e.uncompressed_size)
      c.findings.push_back(make_finding(rules::torch_storage_size_mismatch,
                                        "storage " + s.key + " of " + std::to_string(s.numel) + " " +
                                            std::string(dtype_name(s.dtype)) + " needs " + std::to_string(s.nbytes()) +
                                            " bytes, its member holds " + std::to_string(e.uncompressed_size),
                                        e.local_header_offset, s.key));
    c.storages.push_back(std::move(d));
  }
  for (size_t i = 0; i < c.zip.entries.size(); ++i) {
    const std::string& n = c.zip.entries[i].name;
    if (!used[i] && n.size() > data_dir.size() && n.compare(0, data_dir.size(), data_dir) == 0)
      c.findings.push_back(make_finding(rules::torch_unused_storage, "no tensor or storage of the pickle uses " + n,
                                        c.zip.entries[i].local_header_offset, n.substr(data_dir.size())));
  }
}

}  // namespace

Result<TorchZipCheckpoint> read_torch_zip(const ByteSource& src, const TorchReadOptions& options) {
  auto zip = read_zip(src, options.zip);
  if (!zip) return zip.error();
  TorchZipCheckpoint c;
  c.zip = std::move(*zip);
  auto pkl = find_data_pkl(c.zip, c.prefix);
  if (!pkl) return pkl.error();
  c.data_pkl = *pkl;
  auto pickle = read_member_pickle(src, c.zip.entries[c.data_pkl], options.pickle, c.pickle_in_place);
  if (!pickle) return pickle.error();
  c.pickle = std::move(*pickle);
  c.model = interpret_torch_pickle(c.pickle, options.walk);
  c.version = small_record(src, c.zip, c.prefix + "/version");
  c.byteorder = small_record(src, c.zip, c.prefix + "/byteorder");
  if (c.byteorder && *c.byteorder == "big")
    c.findings.push_back(make_finding(rules::torch_big_endian, "byteorder record says big",
                                      c.zip.find(c.prefix + "/byteorder")->local_header_offset,
                                      c.prefix + "/byteorder"));
  link_storages(c);
  read_other_pickles(src, c, options);
  return c;
}

}  // namespace ckpt::torch
