#pragma once
// Per-tensor hashes and a whole-model hash, for CI manifests (`ckpt hash`) and for
// checking a file against one (`ckpt validate --manifest`).
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/checkpoint.hpp"

namespace ckpt {

enum class HashAlgo { xxh64, xxh3_128, sha256 };
std::string_view hash_algo_name(HashAlgo a);
std::optional<HashAlgo> parse_hash_algo(std::string_view name);

// An incremental hash; hex_digest() is the canonical big-endian hex that xxhsum and
// sha256sum print.
class Hasher {
 public:
  virtual ~Hasher() = default;
  virtual void update(const void* data, size_t n) = 0;
  virtual std::string hex_digest() = 0;
};
std::unique_ptr<Hasher> make_hasher(HashAlgo a);

enum class HashMode {
  stored,  // the bytes as stored: fp32 data, or Q8_0 int8 data followed by its scales
  values,  // the fp32 values in flat row-major order (Q8_0 dequantized), layout-independent
};

struct TensorHash {
  std::string name;                // canonical name when the file maps to one
  std::optional<std::string> hex;  // nullopt when the tensor is not complete in the file
  std::string status;              // "complete", "truncated", "missing"
};

struct HashReport {
  std::string file;
  Format format = Format::unknown;
  HashAlgo algo = HashAlgo::xxh64;
  HashMode mode = HashMode::stored;
  std::vector<TensorHash> tensors;  // canonical order (FORMATS.md's table)
  std::string model_hex;            // stored: the whole file; values: every weight tensor's values in canonical order
};

// Hashes every tensor and the model, streaming with bounded memory on `threads` threads,
// in canonical order (canonical.hpp). In values mode every file is hashed through its
// canonical views (a tt-train kv_linear as wk and wv, llama2.c names), so that the same
// weights hash alike in any layout; `vocab_rows` then keeps only the first rows of the
// (padded) embedding and classifier. Fails with io_read when the file cannot be read.
Result<HashReport> hash_checkpoint(const Checkpoint& cp, HashAlgo algo, HashMode mode, unsigned threads = 2,
                                   std::optional<uint64_t> vocab_rows = std::nullopt);

}  // namespace ckpt
