#pragma once
// Decoders for the arguments of pickle's text opcodes (protocol 0) and for string checks.
// Pure functions over bytes, so each is tested on its own.
#include <cstdint>
#include <string>
#include <string_view>

namespace ckpt::torch {

enum class IntText { ok, too_big, invalid };
// A decimal integer with an optional sign, as INT/LONG/GET/PUT write it (LONG's trailing
// 'L' is stripped by the caller). too_big: valid digits beyond int64.
IntText parse_decimal(std::string_view s, int64_t& out);

// The body of a STRING argument: quoted with ' or ", Python escapes (\\ \' \" \n \r \t \a
// \b \f \v \xHH \ooo, backslash-newline). False when unquoted or an escape is malformed.
bool decode_string_escape(std::string_view quoted, std::string& out);

// A UNICODE argument: raw-unicode-escape (\uXXXX, \UXXXXXXXX; every other byte is a
// Latin-1 code point), re-encoded as UTF-8. False on a malformed escape or a code point
// beyond U+10FFFF.
bool decode_raw_unicode_escape(std::string_view s, std::string& utf8);

// UTF-8 as CPython's pickle reads it ("surrogatepass": encoded surrogates are accepted).
bool valid_utf8(std::string_view s, bool allow_surrogates);

void append_utf8(uint32_t code_point, std::string& out);

// A Python-style repr of text for messages: 'abc' with escapes, cut after max bytes.
std::string py_repr(std::string_view s, size_t max = 120);

}  // namespace ckpt::torch
