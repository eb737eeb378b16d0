#include "numpy_pickle.hpp"

#include <fmt/format.h>

#include "ckpt/checked.hpp"

namespace ckpt::ttml {

using torch::PickleGraph;
using torch::PyKind;
using torch::PyObj;

namespace {

bool is_reconstruct(const PickleGraph& g, uint32_t callable) {
  const std::string n = g.global_name(callable);
  return n == "numpy.core.multiarray._reconstruct" || n == "numpy._core.multiarray._reconstruct";
}

bool read_dtype(const PickleGraph& g, uint32_t obj, NumpyArray& a, NumpyProblem& p);

bool is_frombuffer(const PickleGraph& g, uint32_t callable) {
  const std::string n = g.global_name(callable);
  return n == "numpy.core.numeric._frombuffer" || n == "numpy._core.numeric._frombuffer";
}

// A shape tuple of non-negative integers, at most max_rank long, whose product fits.
bool read_shape(const PickleGraph& g, uint32_t obj, size_t max_rank, NumpyArray& a, NumpyProblem& p) {
  const PyObj* shape = g.valid(obj) ? &g.at(obj) : nullptr;
  if (!shape || shape->kind != PyKind::tuple) return p.message = "the array's shape is not a tuple", false;
  if (shape->items.size() > max_rank)
    return p.message = fmt::format("the array has {} dimensions (at most {} are read)", shape->items.size(), max_rank),
           false;
  CheckedU64 numel(1);
  for (uint32_t d : shape->items) {
    int64_t v = 0;
    if (!g.integer(d, v) || v < 0)
      return p.message = "the array's shape holds something other than a non-negative integer", false;
    a.shape.push_back(uint64_t(v));
    numel *= CheckedU64(uint64_t(v));
  }
  if (!numel.ok()) return p.rule = "ttpickle.data_length", p.message = "the array's shape overflows 64 bits", false;
  a.numel = numel.value();
  return true;
}

// The data argument: bytes (or a bytearray: protocol 5's in-band buffer) of exactly
// numel x element size.
bool read_data(const PickleGraph& g, uint32_t obj, NumpyArray& a, NumpyProblem& p) {
  const PyObj* data = g.valid(obj) ? &g.at(obj) : nullptr;
  if (!data || (data->kind != PyKind::bytes && data->kind != PyKind::bytearray)) {
    p.rule = "ttpickle.record";
    p.message = "the array's data is not a bytes object";
    return false;
  }
  a.data_offset = data->data_offset;
  a.data_length = data->data_length;
  const CheckedU64 want = CheckedU64(a.numel) * CheckedU64(dtype_width(a.dtype));
  if (!want.ok() || want.value() != a.data_length) {
    p.rule = "ttpickle.data_length";
    p.offset = data->offset;
    p.message = want.ok() ? fmt::format("the array holds {} bytes; its shape and dtype {} need {}", a.data_length,
                                        a.dtype_name, want.value())
                          : "the array's shape overflows 64 bits";
    return false;
  }
  return true;
}

// numpy's protocol-5 reduce (ndarray.__reduce_ex__(5), Python 3.14's default protocol):
// numpy.core.numeric._frombuffer(buffer, dtype, shape, order), the buffer in-band as a
// bytearray (or bytes when read-only).
std::optional<NumpyArray> read_frombuffer(const PickleGraph& g, const PyObj& r, size_t max_rank, NumpyProblem& p) {
  const auto& args = g.elements(r.args);
  if (args.size() != 4) {
    p.message = "the array's _frombuffer arguments are not (buffer, dtype, shape, order)";
    return std::nullopt;
  }
  NumpyArray a;
  if (!read_shape(g, args[2], max_rank, a, p) || !read_dtype(g, args[1], a, p)) return std::nullopt;
  p.rule = "ttpickle.record", p.offset = r.offset;
  const std::string* order = g.str(args[3]);
  if (!order || (*order != "C" && *order != "F")) {
    p.message = "the array's order is neither 'C' nor 'F'";
    return std::nullopt;
  }
  if (*order == "F" && a.shape.size() > 1) {
    p.message = "the array is stored in Fortran (column-major) order";
    return std::nullopt;
  }
  if (!read_data(g, args[0], a, p)) return std::nullopt;
  return a;
}

// The element type numpy.dtype(arg, False, True) builds, with BUILD state (3, order, ...).
bool read_dtype(const PickleGraph& g, uint32_t obj, NumpyArray& a, NumpyProblem& p) {
  p.rule = "ttpickle.dtype";
  if (!g.valid(obj)) return p.message = "the array has no dtype", false;
  const PyObj& d = g.at(obj);
  p.offset = d.offset;
  if (d.kind != PyKind::reduce || g.global_name(d.callable) != "numpy.dtype" || g.elements(d.args).empty())
    return p.message = "the array's dtype is not numpy.dtype(...)", false;
  const uint32_t what = g.elements(d.args)[0];
  if (const std::string* s = g.str(what)) {
    a.dtype_name = *s;
  } else if (g.valid(what) && g.at(what).kind == PyKind::global) {
    a.dtype_name = g.global_name(what);
  } else {
    return p.message = "the array's dtype names neither a type code nor a class", false;
  }
  // Byte order: '<' little, '|' not applicable, '=' native (every machine tt-train runs on
  // is little-endian); '>' would need every element swapped.
  const auto& state = g.elements(d.state);
  const std::string* order = state.size() > 1 ? g.str(state[1]) : nullptr;
  if (order && *order == ">") return p.message = fmt::format("dtype {} is big-endian", a.dtype_name), false;
  const std::string& n = a.dtype_name;
  if (n == "f4" || n == "<f4" || n == "float32")
    a.dtype = DType::f32;
  else if (n == "ml_dtypes.bfloat16")
    a.dtype = DType::bf16;
  else if (n == "f2" || n == "<f2" || n == "float16")
    a.dtype = DType::f16;
  else if (n == "f8" || n == "<f8" || n == "float64")
    a.dtype = DType::f64;
  else
    return p.message = fmt::format("dtype {} is not a floating-point type tt-train writes", n), false;
  return true;
}

}  // namespace

bool is_numpy_array_global(std::string_view g) {
  return g == "ml_dtypes.bfloat16" || g == "numpy.dtype" || g == "numpy.ndarray" ||
         g == "numpy.core.multiarray._reconstruct" || g == "numpy._core.multiarray._reconstruct" ||
         g == "numpy.core.numeric._frombuffer" || g == "numpy._core.numeric._frombuffer";
}

std::optional<NumpyArray> read_numpy_array(const PickleGraph& g, uint32_t obj, size_t max_rank, NumpyProblem& p) {
  p = {"ttpickle.record", "", 0};
  if (!g.valid(obj)) {
    p.message = "no object where an array should be";
    return std::nullopt;
  }
  const PyObj& r = g.at(obj);
  p.offset = r.offset;
  if (r.kind == PyKind::reduce && is_frombuffer(g, r.callable)) return read_frombuffer(g, r, max_rank, p);
  if (r.kind != PyKind::reduce || !is_reconstruct(g, r.callable)) {
    p.message = fmt::format("a {} where numpy.core.multiarray._reconstruct(...) should be", torch::kind_name(r.kind));
    return std::nullopt;
  }
  // BUILD state: (version, shape, dtype, is_fortran, data).
  const auto& s = g.elements(r.state);
  int64_t version = 0, fortran = 0;
  if (s.size() != 5 || !g.integer(s[0], version) || version != 1 || !g.integer(s[3], fortran)) {
    p.message = "the array's state is not (1, shape, dtype, is_fortran, data)";
    return std::nullopt;
  }
  NumpyArray a;
  if (!read_shape(g, s[1], max_rank, a, p) || !read_dtype(g, s[2], a, p)) return std::nullopt;
  p.rule = "ttpickle.record", p.offset = r.offset;
  if (fortran != 0 && a.shape.size() > 1) {
    p.message = "the array is stored in Fortran (column-major) order";
    return std::nullopt;
  }
  if (!read_data(g, s[4], a, p)) return std::nullopt;
  return a;
}

}  // namespace ckpt::ttml
