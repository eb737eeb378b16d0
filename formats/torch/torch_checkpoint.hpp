#pragma once
// A torch.save file read end to end, header-only: the container (zip or legacy), the
// pickle with its security findings, the tensors, and where each storage's bytes lie.
// No tensor data is read (zip: local headers only; legacy: the 8-byte numel of each
// storage record).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/result.hpp"
#include "pickle_reader.hpp"
#include "torch_pickle.hpp"
#include "zip_reader.hpp"

namespace ckpt::torch {

struct TorchReadOptions {
  uint32_t max_other_pickles = 64;  // pickles besides data.pkl scanned per archive
  ZipLimits zip;
  PickleLimits pickle;
  TorchWalkLimits walk;
};

// Where one storage's bytes are.
struct StorageData {
  std::string key;
  uint64_t nbytes = 0;       // bytes present (zip: the member's uncompressed size)
  bool in_place = false;     // true: raw bytes at data_offset of the file (stored member, legacy record)
  uint64_t data_offset = 0;  // valid when in_place
  int64_t zip_entry = -1;    // index into ZipArchive::entries (zip format)
};

// A pickle in the archive other than data.pkl: torch.load never reads it, but whoever
// unzips the checkpoint might, so a scan looks at it too.
struct MemberPickle {
  size_t entry = 0;      // index into ZipArchive::entries
  bool in_place = true;  // offsets are file offsets (stored member), else member offsets
  PickleResult pickle;
};

struct TorchZipCheckpoint {
  ZipArchive zip;
  std::string prefix;           // archive folder holding data.pkl ("archive", or the file's stem)
  size_t data_pkl = 0;          // entry index of <prefix>/data.pkl
  bool pickle_in_place = true;  // data.pkl stored: pickle offsets are file offsets (else member offsets)
  PickleResult pickle;
  TorchModel model;
  std::vector<StorageData> storages;        // one per storage of model.storages that has a member
  std::optional<std::string> version;       // <prefix>/version
  std::optional<std::string> byteorder;     // <prefix>/byteorder (absent before torch 1.13: little)
  std::vector<MemberPickle> other_pickles;  // *.pkl members and members that start with PROTO
  std::vector<Finding> findings;            // storage linking (torch.missing_storage, ...)
};

// The file starts with a zip local header.
bool looks_like_zip(const ByteSource& src);

// Reads a torch.save zip: fails with the zip errors, torch.no_data_pkl, or torch.pickle
// when data.pkl cannot be read at all; everything else is a finding.
Result<TorchZipCheckpoint> read_torch_zip(const ByteSource& src, const TorchReadOptions& options = {});

}  // namespace ckpt::torch
