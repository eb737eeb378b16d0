// Reading one torch.save file into a checkpoint: storages placed in the file (stored zip
// members, legacy records) or in member sources (deflated members), tensors as raw ranges
// when contiguous, as strided views otherwise.
#include "torch_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "ckpt/checked.hpp"
#include "element_decode.hpp"
#include "torch_names.hpp"
#include "zip_member.hpp"

namespace ckpt::torch {

const TorchModel& TorchFile::model() const {
  return is_zip() ? std::get<TorchZipCheckpoint>(read).model : std::get<LegacyCheckpoint>(read).model;
}

bool looks_like_torch_zip(const ByteSource& src) {
  if (!looks_like_zip(src)) return false;
  auto z = read_zip(src);
  if (!z) return false;
  for (const auto& e : z->entries)
    if (e.name == "data.pkl" || (e.name.size() > 9 && e.name.ends_with("/data.pkl"))) return true;
  return false;
}

namespace {

std::optional<DType> dtype_of(TorchDType t) {
  switch (t) {
    case TorchDType::f32:
      return DType::f32;
    case TorchDType::f64:
      return DType::f64;
    case TorchDType::f16:
      return DType::f16;
    case TorchDType::bf16:
      return DType::bf16;
    case TorchDType::i64:
      return DType::i64;
    case TorchDType::i32:
      return DType::i32;
    case TorchDType::i16:
      return DType::i16;
    case TorchDType::i8:
      return DType::i8;
    case TorchDType::u8:
      return DType::u8;
    case TorchDType::u16:
      return DType::u16;
    case TorchDType::u32:
      return DType::u32;
    case TorchDType::u64:
      return DType::u64;
    case TorchDType::boolean:
      return DType::boolean;
    default:
      return std::nullopt;
  }
}

// Where a storage's bytes are: a source index and the offset of its first byte, or
// nullopt when the file does not hold them.
struct Placed {
  uint32_t source;
  uint64_t offset, nbytes;
};

class Builder {
 public:
  Builder(Checkpoint& cp, TorchFile& f, const std::vector<StorageData>& storages, const ByteSource& file)
      : cp_(cp), f_(f), storages_(storages), file_(file) {}

  void add_tensors(const TorchModel& model, const ZipArchive* zip) {
    f_.first_tensor = cp_.tensors.size();
    for (const TorchTensor& tt : model.tensors) add(tt, model, zip);
    f_.tensor_count = cp_.tensors.size() - f_.first_tensor;
  }

 private:
  std::optional<Placed> place_storage(const StorageData& sd, const ZipArchive* zip) {
    if (sd.in_place) return Placed{f_.source, sd.data_offset, sd.nbytes};
    if (!zip || sd.zip_entry < 0) return std::nullopt;
    // A deflated member: a source that inflates it, added once per storage.
    if (auto it = member_sources_.find(sd.key); it != member_sources_.end()) return it->second;
    auto member = open_member(file_, zip->entries[size_t(sd.zip_entry)]);
    if (!member) return std::nullopt;
    cp_.sources.push_back(std::shared_ptr<const ByteSource>(std::move(*member)));
    Placed p{uint32_t(cp_.sources.size() - 1), 0, sd.nbytes};
    member_sources_.emplace(sd.key, p);
    return p;
  }

  void add(const TorchTensor& tt, const TorchModel& model, const ZipArchive* zip) {
    TensorInfo t;
    t.spec.name = f_.prefix + tt.path;
    const auto dt = dtype_of(tt.dtype);
    t.spec.dtype = dt.value_or(DType::opaque);
    t.spec.shape = tt.shape;
    t.spec.numel = tt.numel();
    const uint64_t elem = dtype_size(tt.dtype);
    const StorageData* sd = nullptr;
    for (const auto& s : storages_)
      if (s.key == tt.storage_key) sd = &s;
    std::optional<Placed> where = sd ? place_storage(*sd, zip) : std::nullopt;
    // The tensor's extent in its storage: [storage_offset, storage_offset + numel) when
    // contiguous, up to the farthest element otherwise.
    CheckedU64 first = CheckedU64(tt.storage_offset) * elem, span = CheckedU64(tt.numel()) * elem;
    if (!tt.contiguous()) {
      CheckedU64 last = 0;
      for (size_t d = 0; d < tt.shape.size(); ++d)
        if (tt.shape[d] > 0) last += CheckedU64(tt.shape[d] - 1) * tt.stride[d];
      span = (last + 1) * elem;
    }
    if (!where || !first.ok() || !span.ok() || elem == 0) {
      t.status = TensorStatus::missing;
      t.place.storage = Storage::encoded;
      cp_.tensors.push_back(std::move(t));
      return;
    }
    t.place.source = where->source;
    t.place.offset = where->offset + first.value();
    t.place.nbytes = span.value();
    const uint64_t present = where->nbytes > first.value() ? where->nbytes - first.value() : 0;
    t.data_available = std::min(present, t.place.nbytes);
    t.status = t.data_available == t.place.nbytes ? TensorStatus::complete
               : t.data_available == 0            ? TensorStatus::missing
                                                  : TensorStatus::truncated;
    if (t.status == TensorStatus::truncated) t.truncated_at = where->offset + where->nbytes;
    if (!tt.contiguous() && dt) {
      // A view with strides: only the family's gather reads it.
      t.place.storage = Storage::encoded;
      f_.strided.push_back({cp_.tensors.size(), where->source, where->offset, where->nbytes, tt.dtype, tt.shape,
                            tt.stride, tt.storage_offset});
    } else if (!dt) {
      t.place.storage = Storage::encoded;  // no fp32 conversion: listed, never streamed
    }
    (void)model;
    cp_.tensors.push_back(std::move(t));
  }

  Checkpoint& cp_;
  TorchFile& f_;
  const std::vector<StorageData>& storages_;
  const ByteSource& file_;
  std::map<std::string, Placed> member_sources_;
};

void append(std::vector<Finding>& into, const std::vector<Finding>& from, const std::string& where) {
  for (Finding f : from) {
    if (!where.empty()) f.message = where + ": " + f.message;
    into.push_back(std::move(f));
  }
}

}  // namespace

Result<TorchFile> add_torch_file(Checkpoint& cp, uint32_t source, const std::string& prefix, bool legacy,
                                 const OpenOptions& opt) {
  (void)opt;
  const ByteSource& file = *cp.sources.at(source);
  TorchFile f;
  f.source = source;
  f.prefix = prefix;
  // Findings of a shard say which file they are about.
  const std::string where = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
  if (!legacy) {
    auto z = read_torch_zip(file);
    if (!z) return z.error();
    append(cp.findings, z->zip.findings, where);
    append(cp.findings, z->pickle.findings, where);
    for (const auto& mp : z->other_pickles) append(cp.findings, mp.pickle.findings, where);
    append(cp.findings, z->model.findings, where);
    append(cp.findings, z->findings, where);
    f.read = std::move(*z);
    const auto& zc = std::get<TorchZipCheckpoint>(f.read);
    Builder(cp, f, zc.storages, file).add_tensors(zc.model, &zc.zip);
  } else {
    auto l = read_legacy_torch(file);
    if (!l) return l.error();
    for (const PickleResult* p : {&l->magic, &l->protocol, &l->sys_info, &l->main, &l->keys})
      append(cp.findings, p->findings, where);
    append(cp.findings, l->model.findings, where);
    append(cp.findings, l->findings, where);
    f.read = std::move(*l);
    const auto& lc = std::get<LegacyCheckpoint>(f.read);
    Builder(cp, f, lc.storages, file).add_tensors(lc.model, nullptr);
  }
  return f;
}

void config_from_model_args(Checkpoint& cp, const TorchFile& f) {
  const TorchModel& m = f.model();
  auto scalar = [&](const std::string& key) -> std::optional<int64_t> {
    for (const auto& e : m.tree)
      if (e.path == "model_args/" + key && e.kind == "int") {
        char* end = nullptr;
        const long long v = std::strtoll(e.value.c_str(), &end, 10);
        if (end && *end == '\0') return int64_t(v);
      }
    return std::nullopt;
  };
  auto dim = scalar("dim"), layers = scalar("n_layers"), heads = scalar("n_heads");
  if (!dim || !layers || !heads) return;  // not a train.py checkpoint
  ModelConfig c;
  c.dim = *dim;
  c.n_layers = *layers;
  c.n_heads = *heads;
  c.n_kv_heads = scalar("n_kv_heads").value_or(c.n_heads);
  c.vocab_size = scalar("vocab_size").value_or(0);
  c.seq_len = scalar("max_seq_len").value_or(0);
  auto& o = cp.config_origin;
  for (const char* k : {"dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size"}) o.push_back({k, "model_args"});
  o.push_back({"seq_len", "model_args (max_seq_len)"});
  // model.py computes hidden_dim from dim and multiple_of: the stored w1 says what it was.
  for (size_t i = f.first_tensor; i < f.first_tensor + f.tensor_count; ++i) {
    const TensorInfo& t = cp.tensors[i];
    auto name = canonical_name(t.spec.name.substr(f.prefix.size()));
    if (name && name->name == "layers.0.feed_forward.w1.weight" && !t.spec.shape.empty()) {
      c.hidden_dim = int64_t(t.spec.shape[0]);
      o.push_back({"hidden_dim", "the shape of " + t.spec.name});
    }
  }
  if (c.hidden_dim == 0) o.push_back({"hidden_dim", "unknown: no layers.0.feed_forward.w1.weight"});
  // model.py ties output.weight to tok_embeddings.weight: one storage, two names.
  const TensorInfo *emb = nullptr, *out = nullptr;
  for (size_t i = f.first_tensor; i < f.first_tensor + f.tensor_count; ++i) {
    auto name = canonical_name(cp.tensors[i].spec.name.substr(f.prefix.size()));
    if (name && name->name == "tok_embeddings.weight") emb = &cp.tensors[i];
    if (name && name->name == "output.weight") out = &cp.tensors[i];
  }
  c.shared_classifier =
      !out || (emb && emb->place.source == out->place.source && emb->place.offset == out->place.offset);
  o.push_back({"shared_classifier", !out                  ? "no output.weight"
                                    : c.shared_classifier ? "output.weight shares tok_embeddings.weight's storage"
                                                          : "output.weight has its own storage"});
  cp.config = c;
}

std::optional<Result<uint64_t>> stream_strided(const Checkpoint& cp, const std::vector<TorchFile>& files, size_t tensor,
                                               const ckpt::F32Sink& sink, size_t chunk_elems) {
  for (const auto& f : files)
    for (const auto& s : f.strided) {
      if (s.tensor != tensor) continue;
      StorageBytes bytes{&cp.source(s.source), s.storage_offset, s.storage_bytes};
      uint64_t at = 0;
      return gather_f32(
          bytes, s.dtype, s.shape, s.stride, s.element_offset,
          [&](const float* v, size_t n) {
            const bool more = sink(at, v, n);
            at += n;
            return more;
          },
          chunk_elems);
    }
  return std::nullopt;
}

void verify_files(const Checkpoint& cp, const std::vector<TorchFile>& files, std::vector<Finding>& out) {
  for (const TorchFile& f : files) {
    if (!f.is_zip()) continue;
    const ByteSource& src = cp.source(f.source);
    const std::string where = cp.file_count > 1 ? src.name() + ": " : "";
    for (const ZipEntry& e : std::get<TorchZipCheckpoint>(f.read).zip.entries)
      for (Finding x : verify_member(src, e)) {
        x.message = where + x.message;
        if (x.subject.empty()) x.subject = e.name;
        out.push_back(std::move(x));
      }
  }
}

}  // namespace ckpt::torch
