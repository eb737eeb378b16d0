#pragma once
// `ckpt diff` as a library: compares two parsed files tensor by tensor (matched by
// canonical name across formats) or byte by byte. Never prints; progress goes through a
// callback the caller may ignore.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/diff_report.hpp"

namespace ckpt {

struct DiffOptions {
  // Tolerances. With none given, fp32 against fp32 (or Q8_0 against Q8_0) is exact and
  // Q8_0 against fp32 uses each group's bound (half a quantization step).
  std::optional<double> atol, rtol;  // numpy: |a - b| <= atol + rtol * |b|
  std::optional<uint64_t> ulp;       // |ulp(a) - ulp(b)| <= N (either rule passing is enough)
  bool equal_nan = false;
  uint64_t max_report = 10;  // first mismatches per tensor, first byte ranges
  bool diagnose = true;
  unsigned threads = 2;
  size_t chunk_elems = size_t(1) << 20;
  // Tensors at least this large are split across the threads (smaller ones run whole).
  uint64_t split_elems = uint64_t(1) << 22;
  // Read every tensor as a forward stream, as msgpack files must be (tests use it to
  // exercise that path on llama2.c files).
  bool force_stream = false;
  // Compare only the tensors whose canonical name matches one of these globs (fnmatch:
  // `*` matches any run of characters dots included, `?` one, `[...]` a set); all when
  // empty. Other tensors are left out of the report.
  std::vector<std::string> tensors;
  // Stop comparing at the first element that differs (cmp -s): the report then only
  // answers equal() (tensors not yet compared are reported equal); no diagnoses.
  bool stop_at_first_difference = false;
  // Collect TensorDiff::error_shape (|a - b| histogram, row/column profiles, map, corner)
  // in the comparison pass: `ckpt diff --html`.
  bool error_shapes = false;
};

// Whether a canonical name is selected by the --tensor globs (all are when there are none).
bool tensor_selected(const std::vector<std::string>& globs, std::string_view name);

// The globs that select no tensor of either file (a typo would otherwise compare nothing
// and report the files equal).
std::vector<std::string> unmatched_globs(const Checkpoint& a, const Checkpoint& b,
                                         const std::vector<std::string>& globs);

// Called from worker threads with the bytes compared so far and the total to compare.
using DiffProgress = std::function<void(uint64_t done, uint64_t total)>;

// Compares the tensors of two files through their canonical views. Fails (io_read) only
// when a file cannot be read; every difference, including truncation, is part of the
// report.
Result<DiffReport> diff_checkpoints(const Checkpoint& a, const Checkpoint& b, const DiffOptions& opt,
                                    const DiffProgress& progress = {});

// Compares two files byte by byte and maps the first differing ranges to what they hold
// in each file. Fails (io_read) when a file cannot be read.
Result<ByteDiff> diff_bytes(const Checkpoint& a, const Checkpoint& b, uint64_t max_report,
                            const DiffProgress& progress = {});

// The config fields that differ (group_size is layout, not config, and is never reported).
std::vector<ConfigDifference> diff_configs(const Checkpoint& a, const Checkpoint& b);

}  // namespace ckpt
