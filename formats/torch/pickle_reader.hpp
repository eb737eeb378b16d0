#pragma once
// The restricted unpickler: reads one pickle (protocols 0 to 5) from a ByteSource window
// and builds an inert object graph. It never imports, calls or executes anything:
// GLOBAL, STACK_GLOBAL, INST, OBJ, NEWOBJ(_EX), REDUCE, BUILD and EXT only describe what a
// real unpickler would do. Every global the pickle names is recorded with a verdict
// (pickle_globals.hpp), and malformed input or an exceeded limit becomes a finding with
// the byte offset of the opcode, never an exception, a crash or an unbounded allocation.
#include <cstdint>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/result.hpp"
#include "pickle_limits.hpp"
#include "pickle_object.hpp"

namespace ckpt::torch {

struct PickleResult {
  PickleGraph graph;
  uint32_t root = kNoObject;  // what STOP returned
  bool complete = false;      // STOP was reached
  uint64_t begin = 0;         // offset of the first opcode
  uint64_t end = 0;           // just past STOP, or where reading stopped
  uint64_t opcodes = 0;
  int protocol = -1;               // from PROTO; -1 when there was none (protocol 0 or 1)
  std::vector<GlobalRef> globals;  // in order of appearance, nested pickles' ones included
  std::vector<Finding> findings;
};

// Reads one pickle starting at offset, never past offset + limit (nor the source's end,
// nor offset + limits.max_bytes). Fails only with "pickle.range" when offset is past the
// source's end; everything wrong inside the pickle is a finding in the result. When a
// REDUCE calls pickle.loads (or a relative) on bytes taken from the file, that payload is
// unpickled too, to limits.max_nested_pickles levels, and its globals are reported with
// their own offsets.
Result<PickleResult> unpickle(const ByteSource& src, uint64_t offset, uint64_t limit, const PickleLimits& limits = {});

// True when the result holds a finding of severity error from the pickle.* rules
// (a broken stream, as opposed to a suspicious one).
bool has_stream_error(const PickleResult& r);

}  // namespace ckpt::torch
