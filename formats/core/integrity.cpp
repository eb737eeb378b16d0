#include "ckpt/integrity.hpp"

#include "family.hpp"

namespace ckpt {

std::vector<Finding> scan_integrity(const Checkpoint& cp) {
  const core::FormatFamily* f = core::family_of(cp.format);
  return f ? f->scan_integrity(cp) : std::vector<Finding>{};
}

}  // namespace ckpt
