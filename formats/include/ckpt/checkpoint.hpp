#pragma once
// The common model of a parsed file: format and how it was detected, header values,
// config, tensor table with byte ranges and per-tensor status, and parse findings.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/config.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/format.hpp"
#include "ckpt/layout.hpp"
#include "ckpt/result.hpp"
#include "ckpt/ttml_model.hpp"

namespace ckpt {

enum class TensorStatus { complete, truncated, missing };
std::string_view tensor_status_name(TensorStatus s);

struct TensorInfo {
  TensorSpec spec;
  Placement place;
  TensorStatus status = TensorStatus::complete;
  // Bytes of data and of scales actually inside the file (equal to nbytes when complete).
  uint64_t data_available = 0;
  uint64_t scale_available = 0;
  // For truncated tensors: the file offset where the bytes stop (the file size).
  std::optional<uint64_t> truncated_at;
  std::string alt_name;  // the name in another naming scheme (tt-train), when one exists
};

struct HeaderValue {
  std::string name;
  uint64_t offset;
  uint32_t size;
  int64_t value;
};

// How the Q8_0 v2 ordering was decided (FORMATS.md: the plausibility test).
struct Q8OrderDecision {
  bool interleaved_fits = false;
  bool scales_last_fits = false;
  std::string decided_by;  // which test decided, in one line
};

struct TokenizerInfo {
  bool has_scores = true;  // false for the July 2023 variant (lengths and bytes only)
  int64_t max_token_length = 0;
  uint64_t n_tokens = 0;
  uint64_t parsed_bytes = 0;      // bytes covered by complete entries
  int64_t longest_token = 0;      // longest entry actually present
  std::optional<uint64_t> first_bad_offset;
};

struct Checkpoint {
  std::string path;
  Format format = Format::unknown;
  std::string detection;  // how the format was decided, one line
  uint64_t file_size = 0;
  std::vector<HeaderValue> header;
  std::optional<ModelConfig> config;  // absent when the header is too broken to hold one
  std::optional<uint64_t> expected_size;
  std::vector<TensorInfo> tensors;
  uint64_t trailing_bytes = 0;
  std::optional<Q8OrderDecision> q8_order;
  std::optional<TokenizerInfo> tokenizer;
  std::vector<MetadataEntry> metadata;  // keys that are not tensors (tt-train msgpack)
  std::optional<TtmlInfo> ttml;         // the msgpack index (ttml-msgpack only)
  std::vector<Finding> findings;

  const TensorInfo* find(std::string_view name) const;
  bool has_errors() const;
};

struct OpenOptions {
  std::optional<Format> forced_format;  // skip detection
};

// Detects the format of a source and parses as much of it as there is: header, config,
// tensor table with statuses, findings. Broken files are findings, not failures: fails
// only when the bytes match no known format (code "detect.unknown", or "detect.empty").
Result<Checkpoint> open_checkpoint(const ByteSource& src, const OpenOptions& opt = {});

}  // namespace ckpt
