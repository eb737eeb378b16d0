#pragma once
// Checks of the stored bytes beyond the tensors' values, which need a pass over the data
// (a zip member's CRC-32 against its directory entry): validate runs them with its scan.
#include <vector>

#include "ckpt/checkpoint.hpp"

namespace ckpt {

// The findings of the checkpoint's family's integrity checks (none for most formats).
std::vector<Finding> scan_integrity(const Checkpoint& cp);

}  // namespace ckpt
