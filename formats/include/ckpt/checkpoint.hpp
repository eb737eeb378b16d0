#pragma once
// The common model of a parsed input, whatever its family: format and how it was
// detected, header values, config, tensor table with byte ranges and per-tensor status,
// metadata, and parse findings. The checkpoint also holds the files it was read from, so
// that its tensors can be streamed later (tensor_stream.hpp).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/config.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/format.hpp"
#include "ckpt/limits.hpp"
#include "ckpt/result.hpp"
#include "ckpt/tensor.hpp"

namespace ckpt {

// One field of a fixed binary header: its name, bytes and value.
struct HeaderValue {
  std::string name;
  uint64_t offset;
  uint32_t size;
  int64_t value;
};

// A tokenizer file: how many tokens it holds and how far it parses.
struct TokenizerInfo {
  bool has_scores = true;  // false for the July 2023 variant (lengths and bytes only)
  int64_t max_token_length = 0;
  uint64_t n_tokens = 0;
  uint64_t parsed_bytes = 0;  // bytes covered by complete entries
  int64_t longest_token = 0;  // longest entry actually present
  std::optional<uint64_t> first_bad_offset;
};

// A value of the file that is not a tensor (tt-train's `adamw/steps`, a pickle's
// `iter_num`), as text.
struct MetadataEntry {
  std::string key;
  int64_t variant = -1;  // tt-train msgpack: the std::variant index, else -1
  std::string type;      // the stored type's name
  std::string value;     // the value as text (arrays and binaries summarised)
  uint64_t offset = 0;   // first byte of the key
  uint64_t nbytes = 0;   // bytes of the key and its value
};

// What only the family that read the file needs (the msgpack key index, the Q8_0 order
// decision): families derive from it and find their own type again.
struct FamilyData {
  virtual ~FamilyData() = default;
};

struct Checkpoint {
  std::string path;     // the file, or the folder the files are in
  bool folder = false;  // read from a folder of files (sources[0] is the first file used)
  Format format = Format::unknown;
  std::string detection;  // how the format was decided, one line
  uint64_t file_size = 0;
  std::vector<HeaderValue> header;
  uint64_t header_size = 0;           // bytes of a fixed-size header (padding included), 0 if none
  std::optional<ModelConfig> config;  // absent when the input is too broken to hold one
  // Where each config value came from ("params.json", "the shape of tok_embeddings.weight")
  // or "unknown: ..." for values the files do not store (0 in config), when not a header.
  std::vector<std::pair<std::string, std::string>> config_origin;
  std::optional<uint64_t> expected_size;
  std::vector<TensorInfo> tensors;
  uint64_t trailing_bytes = 0;
  std::optional<TokenizerInfo> tokenizer;  // tokenizer files
  std::vector<MetadataEntry> metadata;
  std::vector<Finding> findings;
  OpenLimits limits;  // the caps it was opened with; streams apply them too
  std::shared_ptr<const FamilyData> family_data;
  // Where the tensors' bytes are (Placement::source indexes them): the input's files
  // first ([0] is the input file, or a folder's first file), then any virtual sources a
  // family adds (a zip member decompressed on the fly). A family that adds sources while
  // opening one file leaves a null at [0] for the input.
  std::vector<std::shared_ptr<const ByteSource>> sources;
  size_t file_count = 1;  // how many of the sources are real files

  const TensorInfo* find(std::string_view name) const;
  bool has_errors() const;
  const ByteSource& source(size_t i = 0) const { return *sources.at(i); }
  // The family data as its own type, or nullptr when the family stored something else.
  template <class T>
  const T* data_as() const {
    return dynamic_cast<const T*>(family_data.get());
  }
};

struct OpenOptions {
  std::optional<Format> forced_format;  // skip detection
  OpenLimits limits;
};

// Detects the format of a source and parses as much of it as there is: header, config,
// tensor table with statuses, findings. Broken files are findings, not failures: fails
// only when the bytes match no known format (ErrorCode::detect_unknown, detect_empty,
// detect_truncated). The checkpoint refers to `src` (it must outlive the checkpoint).
Result<Checkpoint> open_checkpoint(const ByteSource& src, const OpenOptions& opt = {});
// The same for a source the checkpoint shares ownership of.
Result<Checkpoint> open_checkpoint(std::shared_ptr<const ByteSource> src, const OpenOptions& opt = {});

// Opens what a path names: a file (as open_checkpoint does), or a folder whose files
// make one model (Meta's params.json + consolidated.NN.pth, a Hugging Face folder, ...),
// detected by what it holds. Fails with io_open when the path cannot be read and
// detect_unknown when no family recognises the folder.
Result<Checkpoint> open_path(const std::string& path, const OpenOptions& opt = {});

}  // namespace ckpt
