#pragma once
// The PyTorch family: torch.save files and Meta folders.
#include <memory>

#include "core/family.hpp"

namespace ckpt::torch {

std::unique_ptr<core::FormatFamily> make_family();

}  // namespace ckpt::torch
