#pragma once
// The safetensors family: safetensors files and Hugging Face Llama folders.
#include <memory>

#include "core/family.hpp"

namespace ckpt::safetensors {

std::unique_ptr<core::FormatFamily> make_family();

}  // namespace ckpt::safetensors
