// Opening tt-train flatbuffer checkpoints: the metadata (verified), the tensor files it
// names (found in the folder or the tar, their headers read and checked against the
// metadata), the files no key names, and the metadata that is not about a tensor.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "ckpt/checked.hpp"
#include "fb_internal.hpp"
#include "lazy_file.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

std::string_view fb_container_name(FbContainer c) {
  switch (c) {
    case FbContainer::folder:
      return "folder";
    case FbContainer::metadata_file:
      return "metadata file";
    case FbContainer::tensorbin:
      return "tensorbin";
    case FbContainer::tar:
      return "tar";
  }
  return "folder";
}

const FbTensor* FbInfo::tensor_of(const Checkpoint& cp, const TensorInfo& t) const {
  if (!cp.tensors.empty() && &t >= &cp.tensors.front() && &t <= &cp.tensors.back()) {
    const size_t i = size_t(&t - &cp.tensors.front());
    return i < tensors.size() ? &tensors[i] : nullptr;
  }
  for (size_t i = 0; i < cp.tensors.size() && i < tensors.size(); ++i)
    if (cp.tensors[i].spec.name == t.spec.name) return &tensors[i];
  return nullptr;
}

namespace {

constexpr std::string_view kMetadataName = "metadata.flatbuffer", kTensorbinExt = ".tensorbin";

void add(Checkpoint& cp, std::string rule, Severity s, std::string m, std::optional<uint64_t> off,
         std::string subject = {}) {
  cp.findings.push_back({std::move(rule), s, std::move(m), off, std::move(subject)});
}

// A file name the metadata may name: inside the folder, never above it. tt-train replaces
// '/' by '_'; the PR branch kept relative paths, so those are allowed without "..".
bool safe_relative(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\0') != std::string::npos ||
      name.find('\\') != std::string::npos)
    return false;
  size_t at = 0;
  while (at <= name.size()) {
    const size_t slash = std::min(name.find('/', at), name.size());
    const std::string part = name.substr(at, slash - at);
    if (part.empty() || part == "." || part == "..") return false;
    at = slash + 1;
  }
  return true;
}

std::string strip_suffix(const std::string& s, std::string_view suffix) {
  return s.ends_with(suffix) ? s.substr(0, s.size() - suffix.size()) : s;
}

uint64_t product(const std::vector<uint64_t>& v) {
  CheckedU64 p = 1;
  for (uint64_t x : v) p *= x;
  return p.ok() ? p.value() : UINT64_MAX;
}

// Where the tensor files of a checkpoint are.
class FileSet {
 public:
  struct Hit {
    size_t source;
    uint64_t base, size;
    std::optional<uint64_t> at;  // a tar member's header (for findings)
  };
  virtual ~FileSet() = default;
  virtual std::optional<Hit> find(Checkpoint& cp, const std::string& name) = 0;
  // Every .tensorbin the container holds, with where it is (for orphans).
  virtual std::vector<std::pair<std::string, std::optional<uint64_t>>> tensorbins() const = 0;
};

class FolderFiles final : public FileSet {
 public:
  explicit FolderFiles(const Folder* dir) : dir_(dir) {}
  std::optional<Hit> find(Checkpoint& cp, const std::string& name) override {
    if (!dir_) return std::nullopt;
    if (auto it = opened_.find(name); it != opened_.end()) return it->second;
    if (name.find('/') == std::string::npos && !dir_->truncated() && !dir_->find(name)) return std::nullopt;
    auto src = LazyFileSource::open(dir_->file_path(name));
    if (!src) return std::nullopt;
    cp.sources.push_back(*src);
    Hit h{cp.sources.size() - 1, 0, (*src)->size(), std::nullopt};
    opened_.emplace(name, h);
    return h;
  }
  std::vector<std::pair<std::string, std::optional<uint64_t>>> tensorbins() const override {
    std::vector<std::pair<std::string, std::optional<uint64_t>>> out;
    if (dir_)
      for (const auto& e : dir_->entries())
        if (e.name.ends_with(kTensorbinExt)) out.push_back({e.name, std::nullopt});
    return out;
  }

 private:
  const Folder* dir_;
  std::map<std::string, Hit> opened_;
};

class TarFiles final : public FileSet {
 public:
  TarFiles(const TarIndex& idx, std::string dir) : idx_(idx), dir_(std::move(dir)) {}
  std::optional<Hit> find(Checkpoint& cp, const std::string& name) override {
    const TarMember* m = find_member(idx_, dir_ + name);
    if (!m) return std::nullopt;
    const uint64_t avail = cp.sources.empty() || !cp.sources[0]
                               ? m->size
                               : std::min(m->size, cp.source(0).size() - std::min(cp.source(0).size(), m->data_offset));
    return Hit{0, m->data_offset, avail, m->header_offset};
  }
  std::vector<std::pair<std::string, std::optional<uint64_t>>> tensorbins() const override {
    std::vector<std::pair<std::string, std::optional<uint64_t>>> out;
    for (const auto& m : idx_.members)
      if (m.is_file() && m.name.starts_with(dir_) && m.name.ends_with(kTensorbinExt))
        out.push_back({m.name.substr(dir_.size()), m.header_offset});
    return out;
  }

 private:
  const TarIndex& idx_;
  std::string dir_;
};

void mismatch(Checkpoint& cp, const TensorInfo& t, const MetaPair* p, std::string what) {
  add(cp, "ttckpt.spec_mismatch", Severity::error, t.spec.name + ": " + what,
      p ? std::optional(p->offset) : std::nullopt, t.spec.name);
}

// The tensor's entry from its header and grid (or, without a usable file, from what the
// metadata says), and the metadata checked against the file.
void fill_tensor(Checkpoint& cp_, FbTensor& x, TensorInfo& t, const MetaPair* shape, const MetaPair* dtype,
                 const MetaPair* layout) {
  const TensorbinHeader& h = x.header;
  if (!x.present || !h.geometry || x.grid.shard_at.empty()) {
    t.status = TensorStatus::missing;
    t.spec.shape = x.meta_shape.value_or(std::vector<uint64_t>{});
    t.spec.numel = product(t.spec.shape);
    if (x.meta_data_type >= 0 && x.meta_data_type < kTtDTypeCount) t.spec.dtype = to_dtype(TtDType(x.meta_data_type));
    t.place.storage = Storage::encoded;
    t.place.source = uint32_t(x.present ? x.source : 0);
    return;
  }
  const ShardGeometry& g = *h.geometry;
  t.spec.dtype = to_dtype(g.dtype);
  t.spec.shape = x.grid.full_shape;
  t.spec.numel = product(t.spec.shape);
  t.place.source = uint32_t(x.source);
  t.place.storage = Storage::encoded;
  const size_t first = x.grid.shard_at[0] == ShardGrid::kNoShard ? 0 : x.grid.shard_at[0];
  t.place.offset = h.data_start + (first < h.shards.size() ? h.shards[first].offset : 0);
  // Complete when every piece has a shard whose bytes are all in the file.
  const uint64_t end = h.base + h.file_size;
  CheckedU64 nbytes = 0, avail = 0;
  bool complete = x.grid.complete;
  std::optional<uint64_t> cut;
  for (size_t s : x.grid.shard_at) {
    if (s == ShardGrid::kNoShard) continue;
    const TensorbinShard& sh = h.shards[s];
    const CheckedU64 from = CheckedU64(h.data_start) + sh.offset;
    nbytes += g.bytes;
    const uint64_t have =
        from.ok() && from.value() < end ? std::min<uint64_t>(end - from.value(), std::min(sh.size, g.bytes)) : 0;
    avail += have;
    if (have < g.bytes) {
      complete = false;
      if (!cut) cut = std::min(end, from.ok() ? from.value() + have : end);
    }
  }
  t.place.nbytes = nbytes.ok() ? nbytes.value() : UINT64_MAX;
  t.data_available = avail.ok() ? avail.value() : 0;
  t.status = complete ? TensorStatus::complete : TensorStatus::truncated;
  if (!complete) t.truncated_at = cut.value_or(end);
  // The metadata beside the file must describe it.
  if (x.meta_shape && *x.meta_shape != t.spec.shape)
    mismatch(cp_, t, shape, fmt::format("the metadata's shape {} but the file's {}", *x.meta_shape, t.spec.shape));
  if (x.meta_data_type >= 0 && x.meta_data_type != h.data_type)
    mismatch(cp_, t, dtype,
             fmt::format("the metadata's data_type {} ({}) but the file's {} ({})", x.meta_data_type,
                         tt_dtype_name(x.meta_data_type), h.data_type, tt_dtype_name(h.data_type)));
  if (x.meta_layout >= 0 && x.meta_layout != (g.tile ? 1 : 0))
    mismatch(cp_, t, layout,
             fmt::format("the metadata's layout {} ({}) but the file is {}", x.meta_layout,
                         x.meta_layout == 0   ? "ROW_MAJOR"
                         : x.meta_layout == 1 ? "TILE"
                                              : "?",
                         g.tile ? "TILE" : "ROW_MAJOR"));
}

// Puts the checkpoint together from the metadata and the files.
class Assembler {
 public:
  Assembler(Checkpoint& cp, FbInfo& info, FileSet& files) : cp_(cp), info_(info), files_(files) {
    for (const auto& p : info_.metadata.pairs)
      if (!p.shadowed) by_key_[p.key] = &p;
  }

  void run() {
    for (const auto& p : info_.metadata.pairs) {
      if (p.shadowed || p.kind != MetaKind::string || !p.text) continue;
      if (info_.metadata.schema == MetaSchema::current && p.text->ends_with(kTensorbinExt))
        add_tensor(p.key, p);
      else if (p.key.ends_with("/tensor_file"))
        add_tensor(strip_suffix(p.key, "/tensor_file"), p);  // the PR branch's reference
    }
    orphans();
    for (const auto& p : info_.metadata.pairs) {
      if (p.shadowed || used_.count(&p)) continue;
      cp_.metadata.push_back(MetadataEntry{p.key, -1, std::string(meta_kind_name(p.kind)), p.preview, p.offset,
                                           p.value_offset > p.offset ? p.value_offset - p.offset : 0});
    }
  }

 private:
  const MetaPair* attr(const std::string& key) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return nullptr;
    used_.insert(it->second);
    return it->second;
  }

  void add_tensor(const std::string& key, const MetaPair& p) {
    used_.insert(&p);
    FbTensor x;
    x.key = key;
    x.file = *p.text;
    x.pair_offset = p.offset;
    TensorInfo t;
    t.spec.name = strip_suffix(key, "/value");
    const MetaPair* shape = attr(key + "/shape");
    const MetaPair* dtype = attr(key + "/data_type");
    const MetaPair* layout = attr(key + "/layout");
    if (const MetaPair* s = attr(key + "/storage_type"); s && s->int_value) x.meta_storage = *s->int_value;
    if (shape) x.meta_shape = shape_of(*shape);
    if (dtype && dtype->int_value) x.meta_data_type = *dtype->int_value;
    if (layout && layout->int_value) x.meta_layout = *layout->int_value;
    if (key.ends_with("/value")) {
      if (const MetaPair* r = attr(t.spec.name + "/requires_grads"); r && r->int_value)
        x.requires_grads = *r->int_value != 0;
      if (const MetaPair* h = attr(t.spec.name + "/has_grads"); h && h->int_value) x.has_grads = *h->int_value != 0;
    }
    const uint64_t at = p.value_offset ? p.value_offset : p.offset;
    if (!safe_relative(x.file)) {
      add(cp_, "ttckpt.file_name", Severity::error,
          fmt::format("{} names the file \"{}\", which is not a plain path inside the checkpoint", key, x.file), at,
          t.spec.name);
    } else if (auto [it, fresh] = file_keys_.emplace(x.file, key); !fresh) {
      add(cp_, "ttckpt.file_collision", Severity::error,
          fmt::format("{} and {} both map to the file {} (tt-train replaces '/' by '_' in file names): one tensor's "
                      "values were overwritten by the other's",
                      it->second, key, x.file),
          at, t.spec.name);
      read_file(x, t);
    } else {
      read_file(x, t);
    }
    if (!x.present && safe_relative(x.file))
      add(cp_, "ttckpt.missing_file", Severity::error,
          fmt::format("{} names {}, which the {} does not hold", key, x.file,
                      info_.container == FbContainer::tar ? "archive" : "folder"),
          at, t.spec.name);
    fill_tensor(cp_, x, t, shape, dtype, layout);
    cp_.tensors.push_back(std::move(t));
    info_.tensors.push_back(std::move(x));
  }

  void read_file(FbTensor& x, TensorInfo& t) {
    referenced_.insert(x.file);
    auto hit = files_.find(cp_, x.file);
    if (!hit) return;
    x.present = true;
    x.source = hit->source;
    std::vector<Finding> found;
    auto h = read_tensorbin_header(cp_.source(hit->source), hit->base, hit->size, cp_.limits, x.file, found);
    if (!h) {
      add(cp_, "io.read", Severity::error, h.error().message, h.error().offset, t.spec.name);
      x.present = false;
      return;
    }
    x.header = std::move(*h);
    if (x.header.geometry) x.grid = build_grid(x.header, x.file, found);
    for (auto& f : found) {
      f.subject = t.spec.name;
      cp_.findings.push_back(std::move(f));
    }
  }

  void orphans() {
    for (const auto& [name, at] : files_.tensorbins()) {
      if (referenced_.count(name)) continue;
      info_.orphans.push_back(name);
      add(cp_, "ttckpt.orphan_file", Severity::warning,
          fmt::format("{} is not named by any metadata key: tt-train's loader never reads it", name), at, name);
    }
  }

  Checkpoint& cp_;
  FbInfo& info_;
  FileSet& files_;
  std::map<std::string, const MetaPair*> by_key_;
  std::set<const MetaPair*> used_;
  std::map<std::string, std::string> file_keys_;  // file -> the first key naming it
  std::set<std::string> referenced_;
};

// Reads the metadata at [offset, offset + size) of source 0, capped.
void read_metadata(Checkpoint& cp, FbInfo& info, uint64_t offset, uint64_t size, std::optional<MetaSchema> prefer,
                   const std::string& name) {
  info.metadata_name = name;
  info.metadata_offset = offset;
  info.metadata_size = size;
  if (size > cp.limits.max_flatbuffer_bytes) {
    add(cp, "ttckpt.metadata_size", Severity::error,
        fmt::format("{} is {} bytes, more than the {} ckpt reads as one flatbuffer", name, size,
                    cp.limits.max_flatbuffer_bytes),
        offset);
    return;
  }
  std::vector<uint8_t> buf(static_cast<size_t>(size));
  if (size && !cp.source(0).read(offset, buf.data(), buf.size())) {
    add(cp, "io.read", Severity::error, "cannot read " + name, offset);
    return;
  }
  info.metadata = parse_metadata(buf, offset, prefer, cp.limits, name, cp.findings);
}

Checkpoint start(Format f, const OpenOptions& opt, FbContainer c) {
  Checkpoint cp;
  cp.format = f;
  cp.limits = opt.limits;
  (void)c;
  return cp;
}

void finish(Checkpoint& cp, std::shared_ptr<FbInfo> info) {
  name_ttml_tensors(cp, *info);
  cp.family_data = std::move(info);
}

// A path that names a regular file of `size` bytes (so that a memory source's made-up
// name never sends the reader to the current folder).
bool names_file(const std::string& path, uint64_t size) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) == size;
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool looks_like_metadata_file(const ByteSource& src, const OpenLimits& limits) { return probe_metadata(src, limits); }

Result<Checkpoint> open_fb_folder(const Folder& dir, const OpenOptions& opt) {
  Checkpoint cp = start(ttml_flatbuffer, opt, FbContainer::folder);
  auto info = std::make_shared<FbInfo>();
  info->container = FbContainer::folder;
  // Like tt-train's deserialize: metadata.flatbuffer, else the first *.flatbuffer.
  std::string meta;
  if (dir.find(kMetadataName))
    meta = std::string(kMetadataName);
  else
    for (const auto& e : dir.entries())
      if (e.name.ends_with(".flatbuffer")) {
        meta = e.name;
        break;
      }
  if (meta.empty())
    return Error{ErrorCode::detect_forced, dir.path() + " holds no metadata.flatbuffer (nor any *.flatbuffer)", {}};
  auto src = LazyFileSource::open(dir.file_path(meta));
  if (!src) return src.error();
  cp.sources.push_back(*src);
  cp.file_size = (*src)->size();
  read_metadata(cp, *info, 0, (*src)->size(), std::nullopt, meta);
  if (dir.truncated())
    add(cp, "ttckpt.too_many_files", Severity::error,
        fmt::format("the folder has more than {} files: only the first are listed", cp.limits.max_folder_entries),
        std::nullopt);
  FolderFiles files(&dir);
  Assembler(cp, *info, files).run();
  cp.file_count = cp.sources.size();
  cp.detection = "a folder holding " + meta;
  finish(cp, info);
  return cp;
}

Checkpoint open_fb_metadata_file(const ByteSource& src, const OpenOptions& opt) {
  Checkpoint cp = start(ttml_flatbuffer, opt, FbContainer::metadata_file);
  cp.file_size = src.size();
  cp.sources.push_back(nullptr);  // the input itself, set by open_checkpoint
  // Read through a borrowed pointer until then.
  cp.sources[0] = std::shared_ptr<const ByteSource>(&src, [](const ByteSource*) {});
  auto info = std::make_shared<FbInfo>();
  info->container = FbContainer::metadata_file;
  read_metadata(cp, *info, 0, src.size(), std::nullopt, base_of(src.name()));
  // The tensor files are beside it (tt-train's loader takes the metadata's parent folder).
  std::optional<Folder> dir;
  if (names_file(src.name(), src.size()))
    if (auto d = Folder::open(parent_of(src.name()), cp.limits.max_folder_entries)) dir = std::move(*d);
  FolderFiles files(dir ? &*dir : nullptr);
  Assembler(cp, *info, files).run();
  cp.sources[0] = nullptr;
  finish(cp, info);
  return cp;
}

Checkpoint open_tensorbin_file(const ByteSource& src, const OpenOptions& opt) {
  Checkpoint cp = start(ttnn_tensorbin, opt, FbContainer::tensorbin);
  cp.file_size = src.size();
  auto info = std::make_shared<FbInfo>();
  info->container = FbContainer::tensorbin;
  FbTensor x;
  x.file = base_of(src.name());
  x.key = x.file;
  TensorInfo t;
  t.spec.name = x.file.ends_with(kTensorbinExt) ? strip_suffix(x.file, kTensorbinExt) : "tensor";
  std::vector<Finding> found;
  auto h = read_tensorbin_header(src, 0, src.size(), cp.limits, t.spec.name, found);
  if (!h) {
    add(cp, "io.read", Severity::error, h.error().message, h.error().offset);
  } else {
    x.present = true;
    x.header = std::move(*h);
    if (x.header.geometry) x.grid = build_grid(x.header, t.spec.name, found);
  }
  cp.findings.insert(cp.findings.end(), found.begin(), found.end());
  cp.header_size = x.present ? x.header.data_start : 0;
  cp.header.push_back({"header_size", 0, 8, int64_t(std::min<uint64_t>(x.header.header_size, INT64_MAX))});
  x.source = 0;  // the input itself, set by open_checkpoint
  fill_tensor(cp, x, t, nullptr, nullptr, nullptr);
  info->tensors.push_back(std::move(x));
  cp.tensors.push_back(std::move(t));
  finish(cp, info);
  return cp;
}

std::shared_ptr<const FamilyData> probe_checkpoint_tar(const ByteSource& src, const OpenLimits& limits,
                                                       std::string& why, bool& broken) {
  if (!looks_like_tar(src)) {
    why = "not a ustar archive";
    return nullptr;
  }
  auto info = std::make_shared<FbInfo>();
  std::vector<Finding> ignored;
  info->tar = index_tar(src, limits, ignored);
  const bool has = std::any_of(info->tar.members.begin(), info->tar.members.end(),
                               [](const TarMember& m) { return m.is_file() && m.name.ends_with(".flatbuffer"); });
  // An archive whose walk stopped at a broken header may hold the metadata further on:
  // it is still read as one (with the findings that say where it broke).
  broken = info->tar.stopped;
  if (!has && !broken) {
    why = "a ustar archive without a .flatbuffer member";
    return nullptr;
  }
  return info;
}

Checkpoint open_fb_tar(const ByteSource& src, const OpenOptions& opt, const FamilyData* indexed) {
  Checkpoint cp = start(ttml_tar, opt, FbContainer::tar);
  cp.file_size = src.size();
  cp.sources.push_back(std::shared_ptr<const ByteSource>(&src, [](const ByteSource*) {}));
  auto info = std::make_shared<FbInfo>();
  info->container = FbContainer::tar;
  // The index again (with its findings this time); detection's copy is not reused
  // because its findings were dropped.
  (void)indexed;
  info->tar = index_tar(src, cp.limits, cp.findings);
  // metadata.flatbuffer (possibly in a folder of the archive), else the PR branch's
  // <group>.flatbuffer members.
  const TarMember* meta = nullptr;
  for (const auto& m : info->tar.members)
    if (m.is_file() && (m.name == kMetadataName || m.name.ends_with("/" + std::string(kMetadataName))) &&
        (!meta || m.name.size() < meta->name.size()))
      meta = &m;
  std::string dir;
  if (meta) {
    dir = meta->name.substr(0, meta->name.size() - kMetadataName.size());
    read_metadata(cp, *info, meta->data_offset,
                  std::min(meta->size, src.size() - std::min(src.size(), meta->data_offset)), std::nullopt, meta->name);
  } else {
    // One TTMLData per key group, the group's name removed from its keys ("data" holds
    // the keys that had no '/').
    Metadata all;
    bool any = false;
    for (const auto& m : info->tar.members) {
      if (!m.is_file() || !m.name.ends_with(".flatbuffer")) continue;
      FbInfo part;
      read_metadata(cp, part, m.data_offset, std::min(m.size, src.size() - std::min(src.size(), m.data_offset)),
                    MetaSchema::pr32326, m.name);
      const std::string group = strip_suffix(base_of(m.name), ".flatbuffer");
      for (auto& p : part.metadata.pairs) {
        if (group != "data" || p.key.find('/') != std::string::npos) p.key = group + "/" + p.key;
        all.pairs.push_back(std::move(p));
      }
      if (!any) {
        all.schema = part.metadata.schema;
        all.schema_reason = part.metadata.schema_reason + " (PR-branch groups: one flatbuffer per key prefix)";
        all.verified = part.metadata.verified;
        info->metadata_name = m.name;
      }
      any = true;
    }
    info->metadata = std::move(all);
    if (!any) add(cp, "ttckpt.missing_file", Severity::error, "the archive holds no metadata.flatbuffer", std::nullopt);
  }
  TarFiles files(info->tar, dir);
  Assembler(cp, *info, files).run();
  cp.sources[0] = nullptr;
  finish(cp, info);
  return cp;
}

}  // namespace ckpt::ttml
