#pragma once
// Every bound of the restricted unpickler in one struct. The defaults fit the largest
// genuine checkpoints we know (a 70B Meta shard's data.pkl is a few MB with ~15k
// objects; a train.py checkpoint with AdamW state holds three tensors per parameter);
// tests tighten them. Exceeding a limit is a finding at the offset where it happened,
// and reading stops: nothing is ever allocated from an untrusted count beyond them.
#include <cstdint>

namespace ckpt::torch {

struct PickleLimits {
  uint64_t max_bytes = 1ull << 30;  // length of one pickle
  uint64_t max_opcodes = 1ull << 27;
  uint64_t max_objects = 1ull << 22;    // arena entries (each ~150 bytes)
  uint64_t max_memo = 1ull << 22;       // memo indices 0 .. max_memo-1
  uint64_t max_stack = 1ull << 20;      // value stack entries
  uint64_t max_nesting = 256;           // MARKs open at once
  uint64_t max_container = 1ull << 24;  // items of one tuple/list/dict/set
  uint64_t max_string = 256ull << 20;   // one str/bytes argument or text line
  uint64_t keep_bytes = 1ull << 16;     // bytes objects keep this prefix; the rest stays in the file
  // A bytes/bytearray argument is never read whole (keep_bytes of it, then its file
  // range), so a reader whose pickles hold tensor data inline (numpy array pickles) may
  // allow more than max_string for it. 0: max_string applies to bytes too.
  uint64_t max_bytes_object = 0;
  uint32_t max_nested_pickles = 2;  // depth of pickle.loads payloads scanned inside a pickle
};

}  // namespace ckpt::torch
