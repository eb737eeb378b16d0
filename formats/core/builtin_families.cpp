// Every format family of this build, in detection-tie and documentation order. Adding a
// family is its folder plus one line here.
#include "family.hpp"
#include "llama2c/family.hpp"
#include "safetensors/family.hpp"
#include "torch/family.hpp"
#include "ttml/family.hpp"

namespace ckpt::core {

void register_builtin_families(std::vector<std::unique_ptr<FormatFamily>>& into) {
  into.push_back(llama2c::make_family());
  into.push_back(ttml::make_family());
  into.push_back(safetensors::make_family());
  into.push_back(torch::make_family());
}

}  // namespace ckpt::core
