#pragma once
// The llama2.c family: v0, ak42 v1/v2 (fp32, Q8_0), tokenizer.bin.
#include <memory>

#include "core/family.hpp"

namespace ckpt::llama2c {

std::unique_ptr<core::FormatFamily> make_family();

}  // namespace ckpt::llama2c
