// A torch.save file's own sections: the zip members or the legacy records, the version
// and byteorder records, the pickle's non-tensor contents and the globals it imports.
#include "torch_file_render.hpp"

#include <fmt/format.h>

#include <vector>

#include "torch/pickle_opcodes.hpp"

namespace ckpt::cli {

using nlohmann::json;
using namespace torch;

namespace {

std::string_view method_name(uint16_t m) { return m == 0 ? "stored" : m == 8 ? "deflated" : "other"; }

// Where a pickle's offsets count from: the file, or the start of a deflated member.
std::string pickle_range_text(const PickleResult& p, bool in_file) {
  return fmt::format("{} {}..{}{}", in_file ? "bytes" : "member bytes", p.begin, p.end ? p.end - 1 : 0,
                     p.complete ? "" : " (no STOP: cut short)");
}

std::string protocol_text(const PickleResult& p) {
  return p.protocol >= 0 ? fmt::format("protocol {}", p.protocol) : std::string("protocol 0 or 1");
}

void globals_text(const PickleResult& p, std::string& out) {
  out += fmt::format("  globals ({})\n", p.globals.size());
  if (p.globals.empty()) return;
  out += fmt::format("    {:>10}  {:<9}  {:<12}  {}\n", "offset", "verdict", "opcode", "module.name");
  for (const auto& g : p.globals)
    out += fmt::format("    {:>10}  {:<9}  {:<12}  {}\n", g.offset, verdict_name(g.verdict), op::name(g.opcode),
                       g.dynamic ? std::string("(not strings: unknown)") : g.module + "." + g.name);
}

// The keys (or indices) of the root container, in pickle order.
std::vector<std::string> top_level(const TorchModel& m) {
  std::vector<std::string> out;
  for (const auto& e : m.tree)
    if (e.path.find('/') == std::string::npos) out.push_back(e.path);
  return out;
}

constexpr size_t kTopLevelShown = 12;  // a state dict's root holds every tensor: name the first few

// The object tree near the root without its tensors (the tensor table lists those).
void contents_text(const TorchModel& m, std::string& out) {
  size_t shown = 0;
  for (const auto& e : m.tree) shown += e.kind != "tensor";
  const auto top = top_level(m);
  out += fmt::format("  contents (root {}, {} tensors, {} storages; {} entries that are not tensors)\n", m.root_kind,
                     m.tensors.size(), m.storages.size(), shown);
  std::string names;
  for (size_t i = 0; i < top.size() && i < kTopLevelShown; ++i) names += (i ? ", " : "") + top[i];
  if (top.size() > kTopLevelShown) names += fmt::format(", ... ({} more)", top.size() - kTopLevelShown);
  out += fmt::format("    top level ({}): {}\n", top.size(), names);
  for (const auto& e : m.tree) {
    if (e.kind == "tensor") continue;
    const bool scalar = e.count == 0 && !e.value.empty();
    if (scalar)
      out += fmt::format("    {} = {} ({})\n", e.path, e.value, e.kind);
    else
      out += fmt::format("    {}: {}, {} item{}{}\n", e.path, e.kind, e.count, e.count == 1 ? "" : "s",
                         e.tensors ? fmt::format(", {} tensor{}", e.tensors, e.tensors == 1 ? "" : "s") : "");
  }
}

std::string zip_text(const TorchZipCheckpoint& z) {
  std::string out;
  const ZipArchive& a = z.zip;
  out += fmt::format("  archive folder \"{}\", version {}, byteorder {}\n", z.prefix,
                     z.version ? *z.version : "(no record)",
                     z.byteorder ? *z.byteorder : "(no record: little, as before torch 1.13)");
  out += fmt::format("  zip: {} members ({} declared), central directory at {} ({} bytes), end record at {}{}\n",
                     a.entries.size(), a.declared_entries, a.cd_offset, a.cd_size, a.eocd_offset,
                     a.zip64_eocd_offset ? fmt::format(", zip64 end record at {}", *a.zip64_eocd_offset) : "");
  out += fmt::format("  members ({})\n", a.entries.size());
  out +=
      fmt::format("    {:>10} {:>10}  {:<8} {:>10}  {:<8}  {}\n", "header", "data", "method", "size", "crc32", "name");
  for (const auto& e : a.entries) {
    std::string size = e.method == 0 ? std::to_string(e.uncompressed_size)
                                     : fmt::format("{}/{}", e.compressed_size, e.uncompressed_size);
    out += fmt::format("    {:>10} {:>10}  {:<8} {:>10}  {:08x}  {}{}\n", e.local_header_offset, e.data_offset,
                       method_name(e.method), size, e.crc32, e.name, e.name_truncated ? "..." : "");
  }
  out += fmt::format("  pickle {}: {}, {} opcodes, {}\n", a.entries[z.data_pkl].name, protocol_text(z.pickle),
                     z.pickle.opcodes, pickle_range_text(z.pickle, z.pickle_in_place));
  if (!z.other_pickles.empty()) {
    out += fmt::format("  other pickles ({}; torch.load does not read them, unzipping tools might)\n",
                       z.other_pickles.size());
    for (const auto& mp : z.other_pickles)
      out += fmt::format("    {}: {}, {} globals\n", a.entries[mp.entry].name,
                         pickle_range_text(mp.pickle, mp.in_place), mp.pickle.globals.size());
  }
  return out;
}

std::string legacy_text(const LegacyCheckpoint& l) {
  std::string out;
  out += fmt::format("  legacy torch.save: {}, {} storage records, records end at {}\n",
                     l.little_endian ? "little-endian" : "big-endian", l.records.size(), l.end_offset);
  const std::pair<const char*, const PickleResult*> pickles[] = {{"magic", &l.magic},
                                                                 {"protocol", &l.protocol},
                                                                 {"sys_info", &l.sys_info},
                                                                 {"object", &l.main},
                                                                 {"keys", &l.keys}};
  out += "  pickles (5)\n";
  for (const auto& [what, p] : pickles)
    out +=
        fmt::format("    {:<8} {}, {} opcodes, {}\n", what, protocol_text(*p), p->opcodes, pickle_range_text(*p, true));
  out += fmt::format("  records ({})\n", l.records.size());
  out += fmt::format("    {:>10} {:>10} {:>12} {:>12}  {}\n", "header", "data", "numel", "bytes", "key");
  for (const auto& r : l.records)
    out +=
        fmt::format("    {:>10} {:>10} {:>12} {:>12}  {}\n", r.header_offset, r.data_offset, r.numel, r.nbytes, r.key);
  return out;
}

json pickle_json(const PickleResult& p, bool in_file) {
  json globals = json::array();
  for (const auto& g : p.globals)
    globals.push_back({{"module", g.dynamic ? json(nullptr) : json(g.module)},
                       {"name", g.dynamic ? json(nullptr) : json(g.name)},
                       {"offset", g.offset},
                       {"opcode", op::name(g.opcode)},
                       {"verdict", verdict_name(g.verdict)}});
  return json{{"protocol", p.protocol >= 0 ? json(p.protocol) : json(nullptr)},
              {"begin", p.begin},
              {"end", p.end},
              {"offsets", in_file ? "file" : "member"},
              {"opcodes", p.opcodes},
              {"complete", p.complete},
              {"globals", globals}};
}

json contents_json(const TorchModel& m) {
  json tree = json::array();
  for (const auto& e : m.tree) {
    if (e.kind == "tensor") continue;
    json j{{"path", e.path}, {"kind", e.kind}};
    if (e.count == 0 && !e.value.empty())
      j["value"] = e.value;
    else
      j["items"] = e.count, j["tensors"] = e.tensors;
    tree.push_back(std::move(j));
  }
  return json{{"root", m.root_kind},
              {"top_level", top_level(m)},
              {"tensors", m.tensors.size()},
              {"storages", m.storages.size()},
              {"entries", tree}};
}

json zip_json(const TorchZipCheckpoint& z) {
  const ZipArchive& a = z.zip;
  json members = json::array();
  for (const auto& e : a.entries)
    members.push_back({{"name", e.name},
                       {"header_offset", e.local_header_offset},
                       {"data_offset", e.data_offset},
                       {"method", method_name(e.method)},
                       {"compressed_size", e.compressed_size},
                       {"size", e.uncompressed_size},
                       {"crc32", e.crc32}});
  json others = json::array();
  for (const auto& mp : z.other_pickles) {
    json p = pickle_json(mp.pickle, mp.in_place);
    p["member"] = a.entries[mp.entry].name;
    others.push_back(std::move(p));
  }
  json pickle = pickle_json(z.pickle, z.pickle_in_place);
  pickle["member"] = a.entries[z.data_pkl].name;
  return json{{"archive_folder", z.prefix},
              {"version", z.version ? json(*z.version) : json(nullptr)},
              {"byteorder", z.byteorder ? json(*z.byteorder) : json(nullptr)},
              {"central_directory_offset", a.cd_offset},
              {"central_directory_size", a.cd_size},
              {"end_record_offset", a.eocd_offset},
              {"zip64_end_record_offset", a.zip64_eocd_offset ? json(*a.zip64_eocd_offset) : json(nullptr)},
              {"declared_members", a.declared_entries},
              {"members", members},
              {"pickle", pickle},
              {"other_pickles", others}};
}

json legacy_json(const LegacyCheckpoint& l) {
  json records = json::array();
  for (const auto& r : l.records)
    records.push_back({{"key", r.key},
                       {"header_offset", r.header_offset},
                       {"data_offset", r.data_offset},
                       {"numel", r.numel},
                       {"nbytes", r.nbytes}});
  json pickles = json::object();
  pickles["magic"] = pickle_json(l.magic, true);
  pickles["protocol"] = pickle_json(l.protocol, true);
  pickles["sys_info"] = pickle_json(l.sys_info, true);
  pickles["object"] = pickle_json(l.main, true);
  pickles["keys"] = pickle_json(l.keys, true);
  return json{
      {"little_endian", l.little_endian}, {"end_offset", l.end_offset}, {"pickles", pickles}, {"records", records}};
}

}  // namespace

json torch_tensor_json(const Checkpoint& cp, const std::vector<TorchFile>& files, const TensorInfo& t) {
  const size_t i = size_t(&t - cp.tensors.data());
  for (const TorchFile& f : files) {
    // add_torch_file appends one row per pickle tensor, in the pickle's order.
    if (i < f.first_tensor || i - f.first_tensor >= f.tensor_count || i - f.first_tensor >= f.model().tensors.size())
      continue;
    const TorchTensor& x = f.model().tensors[i - f.first_tensor];
    json member = nullptr;
    if (f.is_zip()) {
      const auto& z = std::get<TorchZipCheckpoint>(f.read);
      for (const auto& sd : z.storages)
        if (sd.key == x.storage_key && sd.zip_entry >= 0) member = z.zip.entries[size_t(sd.zip_entry)].name;
    }
    return json{{"path", x.path},
                {"storage", x.storage_key},
                {"member", member},
                {"storage_offset", x.storage_offset},
                {"stride", x.stride},
                {"contiguous", x.contiguous()},
                {"parameter", x.parameter},
                {"requires_grad", x.requires_grad},
                {"rebuild_offset", x.offset}};
  }
  return nullptr;
}

std::string source_file_name(const Checkpoint& cp, uint32_t source) {
  if (!cp.folder || source >= cp.sources.size() || !cp.sources[source]) return {};
  const std::string& n = cp.sources[source]->name();
  const size_t slash = n.find_last_of('/');
  return slash == std::string::npos ? n : n.substr(slash + 1);
}

std::string torch_file_text(const Checkpoint& cp, const TorchFile& f, const std::string& name) {
  (void)cp;
  std::string out =
      fmt::format("\n{}{}\n", f.is_zip() ? "torch.save zip" : "torch.save legacy", name.empty() ? "" : " " + name);
  const PickleResult* main = nullptr;
  if (f.is_zip()) {
    const auto& z = std::get<TorchZipCheckpoint>(f.read);
    out += zip_text(z);
    main = &z.pickle;
  } else {
    const auto& l = std::get<LegacyCheckpoint>(f.read);
    out += legacy_text(l);
    main = &l.main;
  }
  contents_text(f.model(), out);
  globals_text(*main, out);
  return out;
}

json torch_file_json(const Checkpoint& cp, const TorchFile& f, const std::string& name) {
  (void)cp;
  json j{{"file", name.empty() ? json(nullptr) : json(name)},
         {"container", f.is_zip() ? "zip" : "legacy"},
         {"tensor_prefix", f.prefix},
         {"first_tensor", f.first_tensor},
         {"tensor_count", f.tensor_count}};
  if (f.is_zip())
    j["zip"] = zip_json(std::get<TorchZipCheckpoint>(f.read));
  else
    j["legacy"] = legacy_json(std::get<LegacyCheckpoint>(f.read));
  j["contents"] = contents_json(f.model());
  return j;
}

}  // namespace ckpt::cli
