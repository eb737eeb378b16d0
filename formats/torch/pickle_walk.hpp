#pragma once
// Finding the opcode that holds a byte of a pickle, for `inspect --at`: the unpickler
// keeps the offsets of the objects it builds, not of every opcode (MARK, MEMOIZE, a
// string's length prefix), so the stream is walked again from its start, opcode by
// opcode, reading only the argument lengths. Bounded by the pickle's own window.
#include <cstdint>
#include <optional>

#include "ckpt/byte_source.hpp"

namespace ckpt::torch {

struct OpcodeSpan {
  uint64_t offset = 0;  // of the opcode byte
  uint64_t length = 0;  // opcode and argument
  uint8_t opcode = 0;
  uint64_t argument_offset = 0;  // first byte of the argument's data (after any length prefix)
};

// The opcode of the pickle [begin, end) of src whose bytes hold `offset`, or nullopt when
// offset is outside the window or the stream breaks (unknown opcode, cut argument) before it.
std::optional<OpcodeSpan> opcode_at(const ByteSource& src, uint64_t begin, uint64_t end, uint64_t offset);

}  // namespace ckpt::torch
