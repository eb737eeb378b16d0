#pragma once
// Reading one member's bytes. A stored member is a window onto the parent source: zero
// copy, random access. A deflated member inflates sequentially through fixed buffers; a
// read behind the current position restarts the stream from the member's start. Both
// are ByteSources, so the unpickler and the element decoders read members like files.
#include <cstdint>
#include <memory>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/finding.hpp"
#include "ckpt/result.hpp"
#include "zip_reader.hpp"

namespace ckpt::torch {

// A ByteSource over the member's uncompressed bytes; its size() is the central
// directory's uncompressed size, and a read that the data cannot satisfy (a stream
// that ends early or is corrupt) returns false. Fails (zip.member_range,
// zip.unsupported_method) for members whose data is not in the file, encrypted ones and
// methods other than stored and deflate. The parent must outlive the member source.
Result<std::unique_ptr<ByteSource>> open_member(const ByteSource& parent, const ZipEntry& entry);

// Streams the whole member once: CRC-32 against the central directory
// (zip.crc_mismatch), the inflated size (zip.size_mismatch, never inflating more than
// one byte past the declared size), a corrupt stream (zip.inflate_error). Memory is
// bounded by two 64 KiB buffers whatever the member's size.
std::vector<Finding> verify_member(const ByteSource& parent, const ZipEntry& entry);

}  // namespace ckpt::torch
