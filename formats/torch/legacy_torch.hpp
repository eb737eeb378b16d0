#pragma once
// The legacy torch.save format (torch/serialization.py _legacy_save, the default before
// torch 1.6 and still written with _use_new_zipfile_serialization=False): five pickles
// back to back, then the storages' raw bytes:
//   pickle 1  the magic number 0x1950a86a20f9469cfc6c
//   pickle 2  the protocol version 1001
//   pickle 3  sys_info {protocol_version, little_endian, type_sizes}
//   pickle 4  the object, tensors as persistent ids ('storage', type, key, location, numel, view)
//   pickle 5  the storage keys, sorted, as a list of str
//   then per key: int64 little-endian element count, count x element size bytes
// (Older tar-based files, before torch 0.4, are not read.)
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/result.hpp"
#include "pickle_reader.hpp"
#include "torch_checkpoint.hpp"
#include "torch_pickle.hpp"

namespace ckpt::torch {

struct LegacyRecord {
  std::string key;
  uint64_t header_offset = 0;  // of the int64 element count
  uint64_t numel = 0;          // as the record says
  uint64_t data_offset = 0;
  uint64_t nbytes = 0;
};

struct LegacyCheckpoint {
  PickleResult magic, protocol, sys_info, main, keys;
  bool little_endian = true;
  TorchModel model;
  std::vector<std::string> storage_keys;
  std::vector<LegacyRecord> records;  // in file order (the keys' order)
  std::vector<StorageData> storages;  // where each storage's bytes are
  uint64_t end_offset = 0;            // just past the last record read
  std::vector<Finding> findings;      // legacy framing and storage findings (pickles keep theirs)
};

// The file starts with the magic-number pickle (protocol 2 LONG1 of 10 bytes).
bool looks_like_legacy_torch(const ByteSource& src);

// Fails with torch.not_legacy when the magic is wrong, torch.pickle when a header pickle
// or the key list ends without STOP. A main pickle without STOP is returned as read
// (main.complete false, its findings say why) with no records.
Result<LegacyCheckpoint> read_legacy_torch(const ByteSource& src, const TorchReadOptions& options = {});

}  // namespace ckpt::torch
