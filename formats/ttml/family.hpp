#pragma once
// The tt-train family: msgpack weights (MsgPackFile and the Python exporters) and the
// flatbuffer checkpoints (folder, metadata file, .tensorbin, tar).
#include <memory>

#include "core/family.hpp"

namespace ckpt::ttml {

std::unique_ptr<core::FormatFamily> make_family();

}  // namespace ckpt::ttml
