#pragma once
// Rendering of what only tt-train msgpack files have: the era, the model and prefix,
// every key with its byte range, and the metadata. Called by the inspect renderers.
#include <nlohmann/json.hpp>
#include <string>

#include "ckpt/checkpoint.hpp"

namespace ckpt::cli {

// The "msgpack", "keys" and "metadata" sections of `ckpt inspect` (empty when cp has no
// msgpack index).
std::string ttml_text(const Checkpoint& cp);

// {"era", "era_reason", "model", "prefix", "map_count", "keys": [...]} or null.
nlohmann::json ttml_json(const Checkpoint& cp);
nlohmann::json metadata_json(const Checkpoint& cp);
// Per-tensor extras of a msgpack tensor ({"encoding", "element_type", "data_type", ...}).
nlohmann::json ttml_tensor_json(const Checkpoint& cp, const TensorInfo& t);

}  // namespace ckpt::cli
