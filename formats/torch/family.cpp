// The PyTorch family: detection and open of torch.save files and Meta folders, their
// canonical views, strided tensors streamed through the element gather, --at inside the
// zip structure, and the config a conversion starts from.
#include "family.hpp"

#include <fmt/format.h>

#include "ckpt/canonical.hpp"
#include "element_decode.hpp"
#include "formats.hpp"
#include "meta_folder.hpp"
#include "pickle_reader.hpp"
#include "torch_codes.hpp"
#include "torch_data.hpp"
#include "torch_locate.hpp"
#include "torch_names.hpp"

namespace ckpt::torch {

namespace {

// Why each area of rules matters, for the validate catalogue.
std::string_view why_of(std::string_view id) {
  if (id.starts_with("security.")) return "torch.load of this file would import and run that code";
  if (id.starts_with("pickle.")) return "torch.load stops there or rebuilds something else than was saved";
  if (id.starts_with("zip.")) return "tools that trust another part of the zip read other bytes";
  if (id.starts_with("meta.")) return "the shards or params.json do not describe one model";
  return "torch.load fails or rebuilds the tensors differently";
}

std::vector<FamilyRule> make_rules() {
  std::vector<FamilyRule> out;
  // The member checks that stream every member run with validate's data scan.
  auto scanned = [](std::string_view id) {
    return id == "zip.crc_mismatch" || id == "zip.size_mismatch" || id == "zip.inflate_error";
  };
  for (const RuleDef* r : kRuleCatalogue)
    out.push_back({r->id, r->severity, "torch", scanned(r->id), r->meaning, why_of(r->id)});
  // The errors that stop a file from being read at all: a finding of the file (or of the
  // folder's shard) that could not be opened.
  for (const auto& [id, what] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {errc::pickle_range, "a pickle's window starts past the end of the file"},
           {errc::zip_no_eocd, "no end-of-central-directory record in the last 65557 bytes"},
           {errc::zip_cd_out_of_bounds, "the central directory lies outside the file"},
           {errc::zip_too_many_entries, "more zip entries than the cap"},
           {errc::zip_zip64, "a ZIP64 locator that points at no ZIP64 record, when one is needed"},
           {errc::zip_member_range, "a needed member's data is not inside the file"},
           {errc::torch_no_data_pkl, "a zip without exactly one <folder>/data.pkl"},
           {errc::torch_not_legacy, "the file does not start with the legacy magic number pickle"},
           {errc::torch_pickle, "a pickle the checkpoint needs ends without STOP"},
       })
    out.push_back({id, Severity::error, "torch", false, what, "torch.load cannot read the file at all"});
  out.push_back({"torch.unreadable", Severity::error, "torch", false,
                 "a torch.save file of the input cannot be read for another reason (an I/O error)",
                 "nothing of an unreadable shard is checked"});
  for (const FamilyRule& r : std::initializer_list<FamilyRule>{
           {"meta.shard_keys", Severity::error, "meta", false, "every shard holds every tensor", why_of("meta.")},
           {"meta.shard_shape", Severity::error, "meta", false,
            "shards agree on every dimension but Meta's model-parallel axis", why_of("meta.")},
           {"meta.params", Severity::error, "meta", false,
            "params.json is an object and agrees with the tensors (dim, n_layers, vocab_size, n_heads)",
            why_of("meta.")},
       })
    out.push_back(r);
  return out;
}

const std::vector<FamilyRule>& rules_table() {
  static const std::vector<FamilyRule> r = make_rules();
  return r;
}

// A checkpoint read from one file that is a torch zip or legacy file but cannot be read:
// shown as what it is, with the reason as a finding.
Checkpoint unreadable(Format f, const core::DetectCandidate& how, const Error& e) {
  Checkpoint cp;
  cp.format = f;
  cp.detection = how.evidence;
  cp.findings.push_back({e.cause.empty() ? "torch.unreadable" : e.cause, Severity::error, e.message, e.offset, ""});
  cp.family_data = std::make_shared<TorchData>();
  return cp;
}

CanonicalView file_view(const Checkpoint& cp, size_t i) {
  const TensorInfo& t = cp.tensors[i];
  auto name = canonical_name(t.spec.name);
  CanonicalView v = core::whole_view(cp, i, name ? name->name : t.spec.name, {});
  v.canonical = name.has_value();
  // A Hugging Face q/k alone (a pytorch_model.bin without its config.json): the head size
  // is unknown, so the rotary layout is not undone; diff names it.
  return v;
}

class TorchFamily final : public core::FormatFamily {
 public:
  std::string_view name() const override { return "torch"; }
  std::span<const Format> formats() const override { return kFormats; }
  std::span<const FamilyRule> rules() const override { return rules_table(); }

  void detect(const ByteSource& src, const OpenLimits&, bool thorough,
              std::vector<core::DetectCandidate>& out) const override {
    detect_pickle(src, thorough, out);
    if (thorough) return;
    if (looks_like_zip(src)) {
      if (looks_like_torch_zip(src))
        out.emplace_back(zip_file, core::kScoreMagic, "a zip archive with a <folder>/data.pkl member (torch.save)");
      else
        out.emplace_back(zip_file, core::kScoreRepaired,
                         "a zip archive (no data.pkl member found: not torch.save's, or its directory is damaged)");
      return;
    }
    if (looks_like_legacy_torch(src))
      out.emplace_back(legacy_file, core::kScoreMagic, "torch.save's legacy magic number pickle at byte 0");
  }

  // A bare pickle: PROTO 2..5 at byte 0 is only plausible (a v0 file of dim 0x0580 starts
  // the same way); a pickle of any protocol that reads to STOP at the last byte is one.
  void detect_pickle(const ByteSource& src, bool thorough, std::vector<core::DetectCandidate>& out) const {
    uint8_t b[2];
    if (!src.read(0, b, 2)) return;
    if (!thorough) {
      if (b[0] == 0x80 && b[1] >= 2 && b[1] <= 5)
        out.emplace_back(pickle_file, core::kScorePlausible,
                         fmt::format("a pickle PROTO {} opcode at byte 0", int(b[1])));
      return;
    }
    auto r = unpickle(src, 0, src.size());
    if (r && r->complete && r->end == src.size())
      out.emplace_back(pickle_file, core::kScoreWholeParse,
                       fmt::format("a pickle that reads to its STOP at the last byte ({} opcodes)", r->opcodes));
  }

  Result<Checkpoint> open(const ByteSource& src, const core::DetectCandidate& how,
                          const OpenOptions& opt) const override {
    Checkpoint cp;
    cp.format = how.format;
    cp.detection = how.evidence;
    cp.file_size = src.size();
    cp.limits = opt.limits;
    if (how.format == pickle_file) {
      // Nothing to place: the findings (security ones above all) are the point.
      auto r = unpickle(src, 0, src.size());
      if (!r) return unreadable(how.format, how, r.error());
      cp.findings = std::move(r->findings);
      if (!r->complete && !has_stream_error(*r))
        cp.findings.push_back(
            {"pickle.truncated", Severity::error, "the pickle ends before its STOP opcode", r->end, ""});
      else if (r->end < src.size())
        cp.trailing_bytes = src.size() - r->end;
      cp.family_data = std::make_shared<TorchData>();
      return cp;
    }
    // add_torch_file reads from the checkpoint's sources: borrow the input as [0]; the
    // caller replaces it by its own pointer (open_checkpoint's null-slot convention).
    cp.sources.push_back(std::shared_ptr<const ByteSource>(&src, [](const ByteSource*) {}));
    auto f = add_torch_file(cp, 0, "", how.format == legacy_file, opt);
    if (!f) return unreadable(how.format, how, f.error());
    auto data = std::make_shared<TorchData>();
    config_from_model_args(cp, *f);
    data->files.push_back(std::move(*f));
    cp.family_data = std::move(data);
    cp.sources[0] = nullptr;  // open_checkpoint puts the owning pointer here
    return cp;
  }

  void detect_folder(const Folder& dir, const OpenLimits&, std::vector<core::DetectCandidate>& out) const override {
    const auto shards = meta_shards(dir);
    if (!shards.empty())
      out.emplace_back(
          meta_folder, core::kScoreMagic,
          fmt::format("params.json and {} consolidated.NN.pth shard{}", shards.size(), shards.size() == 1 ? "" : "s"));
  }

  Result<Checkpoint> open_folder(const Folder& dir, const core::DetectCandidate& how,
                                 const OpenOptions& opt) const override {
    if (how.format != meta_folder) return core::FormatFamily::open_folder(dir, how, opt);
    auto cp = open_meta_folder(dir, opt);
    if (cp) cp->detection = how.evidence;
    return cp;
  }

  Result<uint64_t> stream_encoded(const Checkpoint& cp, const TensorInfo& t, const ckpt::F32Sink& sink,
                                  size_t chunk_elems) const override {
    if (const TorchData* data = torch_data(cp))
      if (auto r = stream_strided(cp, data->files, size_t(&t - cp.tensors.data()), sink, chunk_elems)) return *r;
    return Error{ErrorCode::stream_dtype,
                 t.spec.name + ": " + std::string(dtype_name(t.spec.dtype)) + " elements have no fp32 conversion",
                 {}};
  }

  // Every zip member streamed once: CRC-32 and size against the central directory.
  std::vector<Finding> scan_integrity(const Checkpoint& cp) const override {
    std::vector<Finding> out;
    if (const TorchData* data = torch_data(cp)) verify_files(cp, data->files, out);
    return out;
  }

  std::vector<CanonicalView> views(const Checkpoint& cp) const override {
    if (cp.format == meta_folder) return meta_views(cp);
    std::vector<CanonicalView> out;
    for (size_t i = 0; i < cp.tensors.size(); ++i) out.push_back(file_view(cp, i));
    return out;
  }

  // A lone file is source 0; a Meta folder's shards are sources 0..n-1 (locate_file).
  Location locate(const Checkpoint& cp, uint64_t offset) const override { return locate_file(cp, 0, offset); }

  Location locate_file(const Checkpoint& cp, size_t source, uint64_t offset) const override {
    if (cp.format == pickle_file && source == 0) return locate_bare_pickle(cp, offset);
    if (const TorchData* data = torch_data(cp))
      for (const TorchFile& f : data->files)
        if (f.source == source) return locate_torch_file(cp, f, offset);
    if (source == 0) return locate_placements(cp, offset);
    Location loc;
    loc.offset = offset;
    return loc;
  }

  Result<core::SourceConfig> source_config(const Checkpoint& cp, const ConvertOptions& opt) const override {
    if (!cp.config)
      return Error{
          ErrorCode::convert_input,
          cp.path + " stores no model config (no model_args): ckpt reads train.py checkpoints and Meta folders",
          {}};
    core::SourceConfig s{*cp.config, {}};
    if (!s.config.shared_classifier) {
      if (cp.format == meta_folder) {
        // export.py --meta-llama: torch.equal(tok_embeddings, output) decides.
        if (core::classifier_equals_embedding(cp).value_or(false)) {
          s.config.shared_classifier = true;
          s.notes.push_back("output.weight equals tok_embeddings.weight: written as shared, as export.py does");
        }
      } else {
        s.notes.push_back(
            "the classifier is untied: written untied (output.weight stored). export.py --checkpoint would differ: "
            "model.py ties output.weight to tok_embeddings.weight, so loading this checkpoint puts the classifier "
            "in both and the file is written shared (v0: positive vocab_size, v1/v2: shared byte 1, no "
            "output.weight) with output.weight's values as tok_embeddings.weight");
      }
    }
    if (opt.n_heads) s.config.n_heads = *opt.n_heads;
    if (opt.vocab_size) s.config.vocab_size = *opt.vocab_size;
    if (opt.seq_len) {
      s.config.seq_len = *opt.seq_len;
    } else if (s.config.seq_len <= 0) {
      // export.py's Meta path: max_seq_len 2048.
      s.config.seq_len = 2048;
      s.notes.push_back(
          "seq_len 2048 (Meta checkpoints do not store it; export.py uses 2048): pass --seq-len to change");
    }
    return s;
  }

 private:
  static constexpr Format kFormats[] = {zip_file, legacy_file, meta_folder, pickle_file};
};

}  // namespace

std::unique_ptr<core::FormatFamily> make_family() { return std::make_unique<TorchFamily>(); }

}  // namespace ckpt::torch
