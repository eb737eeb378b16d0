#pragma once
// The interface every format family implements (formats/<family>/family.cpp) and the
// registry that holds them. open_checkpoint, the tensor streams, canonical views, locate
// and convert ask the registry; none of them has a branch per format. A new family is a
// folder plus one line in builtin_families.cpp.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ckpt/byte_sink.hpp"
#include "ckpt/checkpoint.hpp"
#include "ckpt/convert.hpp"
#include "ckpt/family_rules.hpp"
#include "ckpt/folder.hpp"
#include "ckpt/locate.hpp"
#include "ckpt/tensor_stream.hpp"
#include "ckpt/views.hpp"
#include "ckpt/weights.hpp"

namespace ckpt::core {

// One way a family could read some bytes: the format, how sure it is, and why.
struct DetectCandidate {
  DetectCandidate(Format f, int s, std::string why, int v = 0)
      : format(f), score(s), evidence(std::move(why)), variant(v) {}
  Format format;
  int score = 0;         // higher wins (see DetectScore); ties go to the earlier family
  std::string evidence;  // becomes Checkpoint::detection
  int variant = 0;       // family-private: how to open (e.g. through a damaged magic)
  bool forced = false;   // the user named the format (--format): no detection ran
  // Family-private: what detection already worked out, so that open does not read it again.
  std::shared_ptr<const FamilyData> found;
};

// How sure a detection is, for comparing candidates of different families.
enum DetectScore : int {
  kScoreMagic = 100,      // a magic number or container signature
  kScoreStructure = 90,   // a structure that parses as the format's own (a msgpack map)
  kScoreExactSize = 80,   // a header whose layout size equals the file size
  kScoreWholeParse = 70,  // every record parses to the end of the file
  kScoreRepaired = 60,    // the format fits once one damaged field is ignored
  kScorePlausible = 50,   // a header that looks right but does not fit the size
};

// What a source family says about a conversion's input.
struct SourceConfig {
  ModelConfig config;
  std::vector<std::string> notes;
};

class FormatFamily {
 public:
  virtual ~FormatFamily() = default;
  virtual std::string_view name() const = 0;
  // The formats this family reads, in documentation order.
  virtual std::span<const Format> formats() const = 0;
  // The rules of the findings the family reports while reading (validate lists them).
  virtual std::span<const FamilyRule> rules() const { return {}; }

  // Appends the formats these bytes could be, with evidence. Detection runs in two
  // rounds: quick probes read headers only; the thorough round (reading more, e.g. a
  // whole tokenizer) runs only when no quick candidate scored kScoreWholeParse or more.
  virtual void detect(const ByteSource& src, const OpenLimits& limits, bool thorough,
                      std::vector<DetectCandidate>& out) const = 0;
  // Parses the bytes as `how.format`. Fills everything but path, file_size, sources and
  // limits, which open_checkpoint sets. Fails only when nothing at all can be shown.
  virtual Result<Checkpoint> open(const ByteSource& src, const DetectCandidate& how, const OpenOptions& opt) const = 0;

  // Folders: the formats a folder's files could make (reading their names and small
  // config files), and opening one. Default: the family reads no folders.
  virtual void detect_folder(const Folder& dir, const OpenLimits& limits, std::vector<DetectCandidate>& out) const;
  virtual Result<Checkpoint> open_folder(const Folder& dir, const DetectCandidate& how, const OpenOptions& opt) const;

  // Streams a tensor whose Storage is encoded (only the family can decode it).
  virtual Result<uint64_t> stream_encoded(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                                          size_t chunk_elems) const;
  // The data scan's stream of an encoded tensor: stream_encoded, plus findings about
  // stored bytes that never become values (non-zero tile padding, block-float exponents
  // out of range), with their offsets. Default: stream_encoded, no findings.
  virtual Result<uint64_t> scan_encoded(const Checkpoint& cp, const TensorInfo& t, const F32Sink& sink,
                                        size_t chunk_elems, std::vector<Finding>& findings) const;
  // The first byte (in source t.place.source) of element `element` of an encoded tensor,
  // so that findings about values point at their bytes; nullopt when the family cannot say.
  virtual std::optional<uint64_t> element_offset(const Checkpoint& cp, const TensorInfo& t, uint64_t element) const;
  // Checks that read the stored bytes beyond the tensors' values (a zip member's CRC-32),
  // run by validate's data scan. Default: none.
  virtual std::vector<Finding> scan_integrity(const Checkpoint&) const { return {}; }
  // The canonical tensors of the file. Default: one view per stored tensor.
  virtual std::vector<CanonicalView> views(const Checkpoint& cp) const;
  // What lives at a byte of the input. Default: header fields and raw placements.
  virtual Location locate(const Checkpoint& cp, uint64_t offset) const;
  // The same inside file `source` of a folder input. Default: only the first file, as
  // locate reads it; other files are unmapped.
  virtual Location locate_file(const Checkpoint& cp, size_t source, uint64_t offset) const;

  // The model config a conversion from this family starts from, completed with what the
  // user passed for values the file does not store, and what the user should know about
  // it. Default: the parsed config.
  virtual Result<SourceConfig> source_config(const Checkpoint& cp, const ConvertOptions& opt) const;
  // Planning and writing a format of this family (only for formats it writes). The plan
  // starts from the source's config; its notes come before the source's.
  virtual bool writes(Format) const { return false; }
  virtual Result<ConvertPlan> plan(const Checkpoint& from, const SourceConfig& source, const ConvertOptions& opt) const;
  virtual Result<WriteStats> write(ByteSink& out, const ConvertPlan& plan, const WeightSource& w) const;
  // Formats whose output is a folder (tagged "folder"): their files, in an AtomicFolder.
  virtual Result<WriteStats> write_folder(AtomicFolder& out, const ConvertPlan& plan, const WeightSource& w) const;
};

// The registry, built on first use by register_builtin_families (an explicit list, not
// static initialisers). Families in registration order.
std::span<const FormatFamily* const> families();
// The family that reads `f`; nullptr for Format::unknown.
const FormatFamily* family_of(Format f);

// builtin_families.cpp: registers every family this build has, one line each.
void register_builtin_families(std::vector<std::unique_ptr<FormatFamily>>& into);

// Whether the source's output.weight holds exactly tok_embeddings.weight's fp32 values
// (export.py then writes a shared file); nullopt when one is missing or unreadable.
std::optional<bool> classifier_equals_embedding(const Checkpoint& cp);

// The default views, one per stored tensor (families that add views start from these).
CanonicalView whole_view(const Checkpoint& cp, size_t tensor, std::string name, std::vector<uint64_t> shape);

}  // namespace ckpt::core
