#pragma once
// --at for torch.save files: a zip record's field (local header, central directory, end
// records), a member name, an opcode of data.pkl (or of another pickle), a tensor element
// in a storage member, or a legacy file's pickles and storage records.
#include <cstdint>
#include <vector>

#include "ckpt/locate.hpp"
#include "torch_file.hpp"

namespace ckpt::torch {

// What lives at `offset` of torch file f (a byte of cp.source(f.source)).
Location locate_torch_file(const Checkpoint& cp, const TorchFile& f, uint64_t offset);

// What lives at `offset` of a bare pickle file (format pickle): its opcode, with the
// global it imports there; bytes after STOP are trailing.
Location locate_bare_pickle(const Checkpoint& cp, uint64_t offset);

// The tensor element stored at `offset` of source `source`: raw placements, and the
// strided views of `strided` when given. The first tensor (in table order) is the
// location; any other tensor seeing the same bytes goes to Location::shared_with.
// Sets kind, tensor, part (the dtype), element, index, region and value; false when no
// tensor's elements are there.
bool locate_tensor_bytes(const Checkpoint& cp, uint32_t source, uint64_t offset,
                         const std::vector<StridedTensor>* strided, Location& loc);

}  // namespace ckpt::torch
