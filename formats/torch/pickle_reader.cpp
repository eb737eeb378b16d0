#include "pickle_reader.hpp"

#include "pickle_globals.hpp"
#include "pickle_machine.hpp"

namespace ckpt::torch {

Result<PickleResult> unpickle_at_depth(const ByteSource& src, uint64_t offset, uint64_t limit,
                                       const PickleLimits& limits, uint32_t depth) {
  if (offset > src.size())
    return Error{ErrorCode::io_read,
                 "pickle offset " + std::to_string(offset) + " is past the end (" + std::to_string(src.size()) + ")",
                 offset, std::string(errc::pickle_range)};
  uint64_t end = limit > src.size() - offset ? src.size() : offset + limit;
  PickleResult r;
  Machine(src, offset, end, limits, r).run();
  analyze_globals(r, src, limits, depth);
  return r;
}

Result<PickleResult> unpickle(const ByteSource& src, uint64_t offset, uint64_t limit, const PickleLimits& limits) {
  return unpickle_at_depth(src, offset, limit, limits, 0);
}

bool has_stream_error(const PickleResult& r) {
  for (const Finding& f : r.findings)
    if (f.severity == Severity::error && f.rule.rfind("pickle.", 0) == 0) return true;
  return false;
}

}  // namespace ckpt::torch
