#pragma once
// Manifests written by `ckpt hash`: lines "ALGO HASH NAME" per tensor and "ALGO HASH *"
// for the model, keyed by tensor name (never by file name, so renaming a file does not
// break them). Lines starting with '#' are comments; "# mode: values" marks a manifest
// of fp32 values instead of stored bytes.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ckpt/hash.hpp"

namespace ckpt {

struct Manifest {
  HashAlgo algo = HashAlgo::xxh64;
  HashMode mode = HashMode::stored;
  std::map<std::string, std::string> tensors;  // name -> hex
  std::optional<std::string> model;
};

// The text of a manifest for one report.
std::string manifest_text(const HashReport& r);

// Parses a manifest. Fails with "manifest.syntax" (and the line number in the message)
// on a malformed line, a mix of algorithms, or a name listed twice.
Result<Manifest> parse_manifest(const std::string& text);

enum class ManifestStatus { ok, mismatch, missing, unexpected };
std::string_view manifest_status_name(ManifestStatus s);

struct ManifestCheck {
  std::string name;  // tensor name, or "*" for the model
  ManifestStatus status;
  std::string expected, actual;  // hex digests, empty when absent
};

// Compares a file's hashes with a manifest (same algorithm and mode): one entry per
// tensor in either, in the report's order then the manifest's leftovers.
std::vector<ManifestCheck> check_manifest(const HashReport& r, const Manifest& m);

}  // namespace ckpt
