#pragma once
// tt-train's Python pickle checkpoints, read with the restricted unpickler of
// formats/torch (nothing is imported or run; every global a pickle names is judged and a
// dangerous one is a security finding):
// - ttml/checkpointing.py (FORMAT_VERSION 1): pickles back to back; record 0 is
//   {"format": 1, "header": {...}, "manifest": {...}}, then one numpy array per tensor in
//   the manifest's order (dict insertion order, depth first; a group's tensors are its
//   {"named_parameters": {name: {"layout", "dtype"}}}). Tensors are named
//   "<group path>/<parameter name>", e.g. "model/llama/fc/weight",
//   "optimizer/exp_avg/llama/fc/weight"; the manifest's other values are metadata.
// - train_nanogpt.py: one pickle of {"step", "model_state": {name: {"data": float32
//   array, "layout", "shape"}}, "tokenizer", "model_config", "training_config"}; tensors
//   named "model_state/<name>". The three objects are classes of the training script:
//   reported (security.unknown_global), never imported.
// Arrays are raw placements where their bytes sit in the file (numpy_pickle.hpp), so
// every command streams them like any other raw tensor.
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/locate.hpp"
#include "model_names.hpp"

namespace ckpt::ttml {

inline constexpr std::string_view kPickleStreamTags[] = {"ttml", "pickle",         "ttpickle",
                                                         "scan", "training_state", "weights"};
inline constexpr FormatInfo kPickleStreamInfo{
    "ttml-pickle", "ttml",
    "tt-train's ttml/checkpointing.py checkpoint: a header pickle, then one numpy array per tensor", kPickleStreamTags};
inline constexpr Format pickle_stream{kPickleStreamInfo};
inline constexpr std::string_view kNanogptTags[] = {"ttml", "pickle", "ttpickle", "scan", "weights"};
inline constexpr FormatInfo kNanogptInfo{"ttml-nanogpt-pickle", "ttml",
                                         "tt-train's train_nanogpt.py checkpoint: one pickle with a model_state dict",
                                         kNanogptTags};
inline constexpr Format nanogpt_pickle{kNanogptInfo};

// One tensor record as read.
struct PickleRecord {
  std::string name;            // the tensor's name in the checkpoint
  uint64_t record_offset = 0;  // first byte of the array's pickle (checkpointing.py) or object
  uint64_t record_end = 0;     // just past its STOP (checkpointing.py; 0 for model_state)
  std::string manifest_dtype;  // "FLOAT32", "BFLOAT16" (checkpointing.py), "" otherwise
  std::string layout;          // "TILE", "ROW_MAJOR", or model_state's layout as text
  std::string array_dtype;     // as the array's pickle names it ("f4", "ml_dtypes.bfloat16")
};

struct PickleInfo final : TtmlModel {
  int64_t format_version = -1;        // record 0's "format" (checkpointing.py)
  int protocol = -1;                  // pickle protocol of the first pickle
  uint64_t header_end = 0;            // end of record 0 (checkpointing.py)
  uint64_t records_end = 0;           // just past the last record read
  std::vector<PickleRecord> records;  // one per tensor read: records[i] is cp.tensors[i]
};

inline const PickleInfo* pickle_info_of(const Checkpoint& cp) { return cp.data_as<PickleInfo>(); }

// Which of the two a file's first bytes look like: reads at most 4 KiB (a pickle PROTO,
// then a dict whose first key is "format", or one holding a "model_state" key).
Format probe_ttml_pickle(const ByteSource& src);

// Tensors past OpenLimits::max_pickle_tensors (the manifest's entries, model_state's
// keys) are not read: ttpickle.too_many_records.
Checkpoint open_pickle_stream(const ByteSource& src, const OpenOptions& opt);
Checkpoint open_nanogpt_pickle(const ByteSource& src, const OpenOptions& opt);

// What lives at a byte: an array element (the raw placements), else the pickle around
// it: record 0 (header and manifest), record i (an array's opcodes), or nanogpt's pickle.
Location locate_pickle(const Checkpoint& cp, uint64_t offset);

}  // namespace ckpt::ttml
