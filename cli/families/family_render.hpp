#pragma once
// What only one family's files have, rendered for `ckpt inspect`: extra text sections,
// extra members of the JSON document, per-tensor JSON extras. The common renderers
// (inspect_text.cpp, inspect_json.cpp) ask renderer_for(cp) and know no family.
#include <nlohmann/json.hpp>
#include <string>

#include "ckpt/checkpoint.hpp"

namespace ckpt::cli {

struct FamilyRenderer {
  // Text placed after the config section (empty when there is nothing to say).
  std::string (*text)(const Checkpoint& cp) = nullptr;
  // Adds the family's members to the inspect document.
  void (*json)(const Checkpoint& cp, nlohmann::json& doc) = nullptr;
  // Adds the family's members to one tensor's JSON object.
  void (*tensor_json)(const Checkpoint& cp, const TensorInfo& t, nlohmann::json& tensor) = nullptr;
};

// The renderer of cp's family, or nullptr when it has nothing of its own to show.
const FamilyRenderer* renderer_for(const Checkpoint& cp);

// One per family with something of its own (families/<family>_render.cpp).
extern const FamilyRenderer kLlama2cRenderer;
extern const FamilyRenderer kTtmlRenderer;
extern const FamilyRenderer kTorchRenderer;
extern const FamilyRenderer kSafetensorsRenderer;

}  // namespace ckpt::cli
