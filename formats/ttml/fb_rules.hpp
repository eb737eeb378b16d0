#pragma once
// The validate rules of tt-train's flatbuffer checkpoints and tars (fb_rules.cpp).
#include <span>

#include "ckpt/family_rules.hpp"

namespace ckpt::ttml {

std::span<const FamilyRule> flatbuffer_rules();

}  // namespace ckpt::ttml
