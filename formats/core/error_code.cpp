// The one table of error codes: name and meaning of each.
#include <array>
#include <ostream>

#include "ckpt/result.hpp"

namespace ckpt {

namespace {

using C = ErrorCode;
constexpr std::array kCodes{
    ErrorCodeInfo{C::io_open, "io.open", "the file or folder cannot be opened (missing, permission, wrong kind)"},
    ErrorCodeInfo{C::io_read, "io.read", "reading the file failed, or a range expected inside it is not"},
    ErrorCodeInfo{C::io_create, "io.create", "the output's temporary file cannot be created"},
    ErrorCodeInfo{C::io_write, "io.write", "writing the output failed (disk full, size limit)"},
    ErrorCodeInfo{C::io_commit, "io.commit", "the finished output cannot be synced or renamed into place"},
    ErrorCodeInfo{C::detect_empty, "detect.empty", "the file is empty"},
    ErrorCodeInfo{C::detect_unknown, "detect.unknown", "no known format fits the bytes"},
    ErrorCodeInfo{C::detect_truncated, "detect.truncated", "a format's magic, then the end of the file"},
    ErrorCodeInfo{C::detect_forced, "detect.forced", "the forced format cannot be used"},
    ErrorCodeInfo{C::layout_config, "layout.config", "the config cannot describe any file (non-positive sizes, ...)"},
    ErrorCodeInfo{C::layout_format, "layout.format", "the format has no tensor layout"},
    ErrorCodeInfo{C::layout_overflow, "layout.overflow", "sizes derived from the config overflow 64 bits"},
    ErrorCodeInfo{C::stream_dtype, "stream.dtype", "the tensor's element type cannot be streamed that way"},
    ErrorCodeInfo{C::stream_group_size, "stream.group_size", "the Q8_0 group size is beyond the stream limit"},
    ErrorCodeInfo{C::write_source, "write.source", "the weights to write are missing, incomplete or of another size"},
    ErrorCodeInfo{C::write_group_size, "write.group_size", "a quantized tensor is not a multiple of the group size"},
    ErrorCodeInfo{C::write_size, "write.size", "an in-memory output would exceed its limit"},
    ErrorCodeInfo{C::convert_input, "convert.input", "the input is broken or lacks what the conversion needs"},
    ErrorCodeInfo{C::convert_lossy, "convert.lossy",
                  "the conversion loses information and --allow-lossy was not given"},
    ErrorCodeInfo{C::convert_unsupported, "convert.unsupported", "no writer for that target from that input"},
    ErrorCodeInfo{C::convert_group_size, "convert.group_size", "the requested Q8_0 group size is out of range"},
    ErrorCodeInfo{C::convert_rope_size, "convert.rope_size", "seq_len would make v0's RoPE tables absurdly large"},
    ErrorCodeInfo{C::inspect_tensor, "inspect.tensor", "--tensor names no tensor of the file"},
    ErrorCodeInfo{C::expect_syntax, "expect.syntax", "an --expect item cannot be parsed"},
    ErrorCodeInfo{C::manifest_syntax, "manifest.syntax", "a manifest line cannot be parsed"},
    ErrorCodeInfo{C::format_structure, "format.structure",
                  "a file of a known format whose structure cannot be read at all (no zip directory, no header)"},
};

}  // namespace

std::span<const ErrorCodeInfo> error_codes() { return kCodes; }

std::string_view error_code_name(ErrorCode c) {
  for (const auto& info : kCodes)
    if (info.code == c) return info.name;
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, ErrorCode c) { return os << error_code_name(c); }

}  // namespace ckpt
