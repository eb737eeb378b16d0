// The family renderers by family name: one line per family that renders something.
#include "family_render.hpp"

namespace ckpt::cli {

const FamilyRenderer* renderer_for(const Checkpoint& cp) {
  const std::string_view family = cp.format.family();
  if (family == "llama2c") return &kLlama2cRenderer;
  if (family == "ttml") return &kTtmlRenderer;
  if (family == "torch") return &kTorchRenderer;
  if (family == "safetensors") return &kSafetensorsRenderer;
  return nullptr;
}

}  // namespace ckpt::cli
