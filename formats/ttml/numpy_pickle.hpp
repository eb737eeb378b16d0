#pragma once
// A numpy array as numpy 1.x pickles it (ndarray.__reduce__), read from the restricted
// unpickler's inert graph (formats/torch/pickle_object.hpp): nothing is imported or
// called, the shapes of the objects are only compared with what numpy writes:
//   REDUCE numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')
//   BUILD  (1, shape, dtype, is_fortran, raw bytes)
// with dtype REDUCE numpy.dtype('f4', False, True) (or the class ml_dtypes.bfloat16 in
// place of 'f4') and BUILD (3, byte order, ...). numpy 2 names the module
// numpy._core.multiarray. With protocol 5 (Python 3.14's default) numpy writes
//   REDUCE numpy.core.numeric._frombuffer(bytearray, dtype, shape, order)
// instead. The raw bytes stay in the file: the array is a placement.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/tensor.hpp"
#include "torch/pickle_object.hpp"

namespace ckpt::ttml {

struct NumpyArray {
  std::vector<uint64_t> shape;
  uint64_t numel = 0;
  DType dtype = DType::f32;
  std::string dtype_name;    // as the pickle names it: "f4", "ml_dtypes.bfloat16", ...
  uint64_t data_offset = 0;  // first byte of the elements in the file
  uint64_t data_length = 0;  // bytes the pickle holds for them
};

// Why an object is not a numpy array ckpt can place, by the rule that says so.
struct NumpyProblem {
  std::string rule;  // "ttpickle.record", "ttpickle.dtype" or "ttpickle.data_length"
  std::string message;
  uint64_t offset = 0;  // of the opcode that built the offending object
};

// The array `obj` holds, or the first problem with it. max_rank caps the shape.
std::optional<NumpyArray> read_numpy_array(const torch::PickleGraph& g, uint32_t obj, size_t max_rank,
                                           NumpyProblem& problem);

// The globals ("module.name") a numpy array pickle imports, which a tt-train pickle needs
// and loading it imports anyway: ml_dtypes.bfloat16 (not on PyTorch's allowlist) is one.
bool is_numpy_array_global(std::string_view dotted);

}  // namespace ckpt::ttml
