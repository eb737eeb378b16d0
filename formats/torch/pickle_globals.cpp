#include "pickle_globals.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <unordered_set>

#include "pickle_opcodes.hpp"
#include "pickle_reader.hpp"
#include "pickle_text.hpp"
#include "torch_codes.hpp"

namespace ckpt::torch {

namespace {

struct Entry {
  std::string_view module;
  std::string_view name;  // "*": every name of the module and of its submodules
};

// torch's weights_only allowlist and what genuine checkpoints contain.
constexpr std::array kSafe = {
    Entry{"collections", "OrderedDict"},
    Entry{"collections", "Counter"},
    Entry{"collections", "defaultdict"},
    Entry{"collections", "deque"},
    Entry{"torch._utils", "_rebuild_tensor"},
    Entry{"torch._utils", "_rebuild_tensor_v2"},
    Entry{"torch._utils", "_rebuild_tensor_v3"},
    Entry{"torch._utils", "_rebuild_parameter"},
    Entry{"torch._utils", "_rebuild_parameter_with_state"},
    Entry{"torch._utils", "_rebuild_qtensor"},
    Entry{"torch._utils", "_rebuild_sparse_tensor"},
    Entry{"torch._utils", "_rebuild_meta_tensor_no_storage"},
    Entry{"torch._utils", "_rebuild_wrapper_subclass"},
    Entry{"torch._utils", "_rebuild_device_tensor_from_numpy"},
    Entry{"torch._utils", "_rebuild_device_tensor_from_cpu_tensor"},
    Entry{"torch._utils", "_rebuild_nested_tensor"},
    Entry{"torch._tensor", "_rebuild_from_type_v2"},
    Entry{"torch.nn.parameter", "Parameter"},
    Entry{"torch.serialization", "_get_layout"},
    Entry{"torch", "Size"},
    Entry{"torch", "Tensor"},
    Entry{"torch", "device"},
    Entry{"torch", "per_tensor_affine"},
    Entry{"torch", "per_tensor_symmetric"},
    Entry{"torch", "per_channel_affine"},
    Entry{"torch", "per_channel_symmetric"},
    Entry{"torch", "per_channel_affine_float_qparams"},
    Entry{"torch.storage", "UntypedStorage"},
    Entry{"torch.storage", "TypedStorage"},
    Entry{"torch", "UntypedStorage"},
    Entry{"torch", "TypedStorage"},
    Entry{"builtins", "set"},
    Entry{"builtins", "frozenset"},
    Entry{"builtins", "bytearray"},
    Entry{"builtins", "bytes"},
    Entry{"builtins", "slice"},
    Entry{"builtins", "complex"},
    Entry{"builtins", "range"},
    Entry{"builtins", "list"},
    Entry{"builtins", "dict"},
    Entry{"builtins", "tuple"},
    Entry{"builtins", "object"},
    Entry{"builtins", "int"},
    Entry{"builtins", "float"},
    Entry{"builtins", "bool"},
    Entry{"builtins", "str"},
    Entry{"copyreg", "_reconstructor"},
    Entry{"copyreg", "__newobj__"},
    Entry{"copyreg", "__newobj_ex__"},
    Entry{"_codecs", "encode"},
    Entry{"numpy", "dtype"},
    Entry{"numpy", "ndarray"},
    Entry{"numpy.core.multiarray", "_reconstruct"},
    Entry{"numpy.core.multiarray", "scalar"},
    Entry{"numpy._core.multiarray", "_reconstruct"},
    Entry{"numpy._core.multiarray", "scalar"},
    Entry{"numpy.random._pickle", "__randomstate_ctor"},
    Entry{"numpy.random._pickle", "__bit_generator_ctor"},
    Entry{"numpy.random._pickle", "__generator_ctor"},
    Entry{"numpy.random", "__RandomState_ctor"},
    Entry{"numpy.random._mt19937", "MT19937"},
    Entry{"numpy.random._pcg64", "PCG64"},
    Entry{"argparse", "Namespace"},
    Entry{"pathlib", "PosixPath"},
    Entry{"pathlib", "WindowsPath"},
    Entry{"pathlib", "PurePosixPath"},
    Entry{"pathlib", "PureWindowsPath"},
    Entry{"pathlib", "Path"},
    Entry{"datetime", "datetime"},
    Entry{"datetime", "date"},
    Entry{"datetime", "time"},
    Entry{"datetime", "timedelta"},
    Entry{"datetime", "timezone"},
};

constexpr std::array kDangerous = {
    // builtins that evaluate, import, open files or reach arbitrary attributes
    Entry{"builtins", "eval"},
    Entry{"builtins", "exec"},
    Entry{"builtins", "execfile"},
    Entry{"builtins", "compile"},
    Entry{"builtins", "getattr"},
    Entry{"builtins", "setattr"},
    Entry{"builtins", "delattr"},
    Entry{"builtins", "apply"},
    Entry{"builtins", "open"},
    Entry{"builtins", "breakpoint"},
    Entry{"builtins", "__import__"},
    Entry{"builtins", "input"},
    Entry{"builtins", "globals"},
    Entry{"builtins", "locals"},
    Entry{"builtins", "vars"},
    Entry{"builtins", "help"},
    // whole modules: processes, code, files, network, interpreters, unpicklers
    Entry{"os", "*"},
    Entry{"posix", "*"},
    Entry{"nt", "*"},
    Entry{"_posixsubprocess", "*"},
    Entry{"subprocess", "*"},
    Entry{"commands", "*"},
    Entry{"pty", "*"},
    Entry{"runpy", "*"},
    Entry{"sys", "*"},
    Entry{"code", "*"},
    Entry{"codeop", "*"},
    Entry{"importlib", "*"},
    Entry{"imp", "*"},
    Entry{"pkgutil", "*"},
    Entry{"ctypes", "*"},
    Entry{"_ctypes", "*"},
    Entry{"marshal", "*"},
    Entry{"shutil", "*"},
    Entry{"socket", "*"},
    Entry{"_socket", "*"},
    Entry{"ssl", "*"},
    Entry{"http", "*"},
    Entry{"httplib", "*"},
    Entry{"urllib", "*"},
    Entry{"urllib2", "*"},
    Entry{"requests", "*"},
    Entry{"aiohttp", "*"},
    Entry{"asyncio", "*"},
    Entry{"webbrowser", "*"},
    Entry{"smtplib", "*"},
    Entry{"ftplib", "*"},
    Entry{"telnetlib", "*"},
    Entry{"multiprocessing", "*"},
    Entry{"signal", "*"},
    Entry{"bdb", "*"},
    Entry{"pdb", "*"},
    Entry{"pickle", "*"},
    Entry{"_pickle", "*"},
    Entry{"cPickle", "*"},
    Entry{"dill", "*"},
    Entry{"cloudpickle", "*"},
    Entry{"joblib", "*"},
    Entry{"shelve", "*"},
    Entry{"pip", "*"},
    Entry{"ensurepip", "*"},
    Entry{"venv", "*"},
    Entry{"pydoc", "*"},
    Entry{"timeit", "*"},
    Entry{"profile", "*"},
    Entry{"cProfile", "*"},
    Entry{"trace", "*"},
    Entry{"doctest", "*"},
    Entry{"idlelib", "*"},
    Entry{"distutils", "*"},
    Entry{"setuptools", "*"},
    Entry{"tempfile", "*"},
    Entry{"glob", "*"},
    Entry{"site", "*"},
    Entry{"numpy.f2py", "*"},
    Entry{"numpy.testing", "*"},
    Entry{"torch.hub", "*"},
    // single callables
    Entry{"types", "CodeType"},
    Entry{"types", "FunctionType"},
    Entry{"types", "LambdaType"},
    Entry{"types", "MethodType"},
    Entry{"types", "ModuleType"},
    Entry{"operator", "attrgetter"},
    Entry{"operator", "itemgetter"},
    Entry{"operator", "methodcaller"},
    Entry{"functools", "partial"},
    Entry{"functools", "reduce"},
    Entry{"io", "open"},
    Entry{"io", "open_code"},
    Entry{"io", "FileIO"},
    Entry{"_io", "open"},
    Entry{"_io", "open_code"},
    Entry{"_io", "FileIO"},
    Entry{"copyreg", "add_extension"},
    Entry{"numpy", "load"},
    Entry{"numpy.lib.npyio", "load"},
    Entry{"pandas", "read_pickle"},
    Entry{"pandas.io.pickle", "read_pickle"},
    Entry{"torch", "load"},
    Entry{"torch.serialization", "load"},
    Entry{"torch.storage", "_load_from_bytes"},
    Entry{"torch.jit", "load"},
    Entry{"torch._inductor.codecache", "compile_file"},
    Entry{"torch.utils.collect_env", "run"},
    Entry{"torch.utils._config_module", "*"},
};

// Storage classes and dtypes of torch (and torch.cuda's storages in legacy files).
constexpr std::array<std::string_view, 22> kStorageNames = {
    "FloatStorage",         "DoubleStorage",        "HalfStorage",    "BFloat16Storage", "LongStorage",
    "IntStorage",           "ShortStorage",         "CharStorage",    "ByteStorage",     "BoolStorage",
    "ComplexFloatStorage",  "ComplexDoubleStorage", "QInt8Storage",   "QUInt8Storage",   "QInt32Storage",
    "QUInt4x2Storage",      "QUInt2x4Storage",      "UntypedStorage", "TypedStorage",    "ComplexHalfStorage",
    "Float8_e4m3fnStorage", "Float8_e5m2Storage"};

constexpr std::array<std::string_view, 42> kDtypeNames = {"float32",
                                                          "float",
                                                          "float64",
                                                          "double",
                                                          "float16",
                                                          "half",
                                                          "bfloat16",
                                                          "int64",
                                                          "long",
                                                          "int32",
                                                          "int",
                                                          "int16",
                                                          "short",
                                                          "int8",
                                                          "uint8",
                                                          "bool",
                                                          "complex32",
                                                          "chalf",
                                                          "complex64",
                                                          "cfloat",
                                                          "complex128",
                                                          "cdouble",
                                                          "qint8",
                                                          "quint8",
                                                          "qint32",
                                                          "quint4x2",
                                                          "quint2x4",
                                                          "float8_e4m3fn",
                                                          "float8_e5m2",
                                                          "float8_e4m3fnuz",
                                                          "float8_e5m2fnuz",
                                                          "float8_e8m0fnu",
                                                          "uint16",
                                                          "uint32",
                                                          "uint64",
                                                          "bits8",
                                                          "bits16",
                                                          "bits1x8",
                                                          "bits2x4",
                                                          "bits4x2",
                                                          "float4_e2m1fn_x2",
                                                          "strided"};

std::string_view py3_module(std::string_view m) {
  if (m == "__builtin__") return "builtins";
  if (m == "copy_reg") return "copyreg";
  if (m == "cPickle") return "pickle";
  return m;
}

// module is m itself or a submodule of m.
bool within(std::string_view module, std::string_view m) {
  return module == m || (module.size() > m.size() && module.substr(0, m.size()) == m && module[m.size()] == '.');
}

bool listed(std::string_view module, std::string_view name, const auto& table) {
  for (const Entry& e : table) {
    if (e.name == "*" ? within(module, e.module) : (module == e.module && name == e.name)) return true;
  }
  return false;
}

bool torch_type_name(std::string_view module, std::string_view name) {
  if (module == "torch" || module == "torch.cuda") {
    if (std::find(kStorageNames.begin(), kStorageNames.end(), name) != kStorageNames.end()) return true;
  }
  return module == "torch" && std::find(kDtypeNames.begin(), kDtypeNames.end(), name) != kDtypeNames.end();
}

}  // namespace

Verdict classify_global(std::string_view module, std::string_view name) {
  module = py3_module(module);
  // EXT1/2/4 name whatever the loading process registered with copyreg.add_extension:
  // the target cannot be known from the file, and torch.save never writes them.
  if (module == "copyreg._extension_registry") return Verdict::dangerous;
  // A dotted name is walked attribute by attribute (find_class, protocol 4 and up), and a
  // module's attributes include the modules it imported: torch + serialization.os.system
  // is os.system. Where such a walk ends cannot be judged, so only exact safe paths pass.
  if (name.find('.') != std::string_view::npos) {
    std::string full = std::string(module) + "." + std::string(name);
    size_t dot = full.rfind('.');
    std::string_view m(full.data(), dot), n(full.data() + dot + 1, full.size() - dot - 1);
    return listed(m, n, kSafe) || torch_type_name(m, n) ? Verdict::safe : Verdict::dangerous;
  }
  // The deny list wins: a dotted name such as "os.path" must never ride on a safe prefix.
  if (listed(module, name, kDangerous)) return Verdict::dangerous;
  if (listed(module, name, kSafe) || torch_type_name(module, name)) return Verdict::safe;
  return Verdict::unknown;
}

bool is_nested_unpickler(std::string_view module, std::string_view name) {
  module = py3_module(module);
  bool pickle_like = module == "pickle" || module == "_pickle" || module == "dill" || module == "cloudpickle";
  return pickle_like && (name == "loads" || name == "_loads");
}

namespace {

void render_call_into(const PickleGraph& g, uint32_t callable, uint32_t args, std::string& out, int depth);

// depth bounds the recursion: a graph may be cyclic (a list holding a call that holds
// the list), and calls nest inside arguments.
void render(const PickleGraph& g, uint32_t i, std::string& out, int depth) {
  if (out.size() > 400) return;
  if (!g.valid(i)) {
    out += "<?>";
    return;
  }
  const PyObj& o = g.at(i);
  switch (o.kind) {
    case PyKind::none:
      out += "None";
      return;
    case PyKind::boolean:
      out += o.i ? "True" : "False";
      return;
    case PyKind::integer:
      out += std::to_string(o.i);
      return;
    case PyKind::floating:
      out += std::to_string(o.f);
      return;
    case PyKind::str:
      out += py_repr(o.text);
      return;
    case PyKind::bytes:
      out += 'b';
      out += py_repr(o.text);
      return;
    case PyKind::global:
      out += std::string(o.module()) + "." + std::string(o.name());
      return;
    case PyKind::tuple:
    case PyKind::list: {
      if (depth > 3) {
        out += "...";
        return;
      }
      out += o.kind == PyKind::tuple ? "(" : "[";
      for (size_t k = 0; k < o.items.size() && out.size() <= 400; ++k) {
        if (k) out += ", ";
        render(g, o.items[k], out, depth + 1);
      }
      if (o.kind == PyKind::tuple && o.items.size() == 1) out += ",";
      out += o.kind == PyKind::tuple ? ")" : "]";
      return;
    }
    case PyKind::reduce:
    case PyKind::newobj:
      if (depth > 3) {
        out += "...";
        return;
      }
      render_call_into(g, o.callable, o.args, out, depth + 1);
      return;
    default:
      out += '<';
      out += kind_name(o.kind);
      out += '>';
      return;
  }
}

void render_call_into(const PickleGraph& g, uint32_t callable, uint32_t args, std::string& out, int depth) {
  render(g, callable, out, depth + 1);
  out += "(";
  if (g.valid(args) && g.at(args).kind == PyKind::tuple) {
    const auto& items = g.at(args).items;
    for (size_t k = 0; k < items.size() && out.size() <= 400; ++k) {
      if (k) out += ", ";
      render(g, items[k], out, depth + 1);
    }
  } else if (g.valid(args)) {
    out += "*";
    render(g, args, out, depth + 1);
  }
  out += ")";
}

}  // namespace

std::string render_call(const PickleGraph& g, uint32_t callable, uint32_t args) {
  std::string out;
  render_call_into(g, callable, args, out, 0);
  if (out.size() > 400) out = out.substr(0, 400) + "...";
  return out;
}

namespace {

// The calls of each global object: reduce and newobj records that name it as callable.
std::unordered_map<uint32_t, std::vector<uint32_t>> calls_by_global(const PickleGraph& g) {
  std::unordered_map<uint32_t, std::vector<uint32_t>> calls;
  for (uint32_t i = 0; i < g.objects.size(); ++i) {
    const PyObj& o = g.objects[i];
    if ((o.kind == PyKind::reduce || o.kind == PyKind::newobj) && g.valid(o.callable)) calls[o.callable].push_back(i);
  }
  return calls;
}

Finding global_finding(const GlobalRef& ref, const PickleGraph& g, const std::vector<uint32_t>* calls) {
  std::string what = std::string(op::name(ref.opcode)) + " imports " + ref.module + "." + ref.name;
  if (ref.dynamic) {
    return make_finding(rules::security_dynamic_global,
                        what + ": module or name is no literal string, decided at load time", ref.offset,
                        ref.module + "." + ref.name);
  }
  const RuleDef& rule =
      ref.verdict == Verdict::dangerous ? rules::security_dangerous_global : rules::security_unknown_global;
  std::string msg = what;
  if (calls && !calls->empty()) {
    msg += "; loading calls ";
    for (size_t k = 0; k < calls->size() && k < 3; ++k) {
      const PyObj& c = g.at((*calls)[k]);
      if (k) msg += ", ";
      msg += render_call(g, c.callable, c.args);
      msg += " (";
      msg += op::name(c.opcode);
      msg += " at " + std::to_string(c.offset) + ")";
    }
    if (calls->size() > 3) msg += " and " + std::to_string(calls->size() - 3) + " more calls";
  } else if (ref.verdict == Verdict::dangerous) {
    msg += " (imported, not called in the pickle)";
  }
  return make_finding(rule, msg, ref.offset, ref.module + "." + ref.name);
}

// pickle.loads(b'...'): the payload is a pickle too. Only bytes read straight from the
// source are scanned, so every offset reported for them is a file offset.
void scan_nested(PickleResult& r, const ByteSource& src, const PickleLimits& limits, uint32_t depth,
                 const std::vector<uint32_t>& calls, std::unordered_set<uint64_t>& scanned) {
  if (depth + 1 > limits.max_nested_pickles) return;
  for (uint32_t c : calls) {
    const PyObj& call = r.graph.at(c);
    const auto& args = r.graph.elements(call.args);
    if (args.empty()) continue;
    const PyObj& payload = r.graph.at(args[0]);
    bool raw =
        payload.kind == PyKind::bytes ||
        (payload.kind == PyKind::str && (payload.opcode == op::BINSTRING || payload.opcode == op::SHORT_BINSTRING));
    if (!raw || payload.data_length == 0) continue;
    if (!scanned.insert(payload.data_offset).second) continue;  // one payload, several calls
    auto nested = unpickle_at_depth(src, payload.data_offset, payload.data_length, limits, depth + 1);
    if (!nested) continue;
    PickleResult& n = *nested;
    std::string where = "in the pickle nested at offset " + std::to_string(payload.data_offset) + ": ";
    for (Finding& f : n.findings) {
      f.message = where + f.message;
      r.findings.push_back(std::move(f));
    }
    for (GlobalRef& g : n.globals) r.globals.push_back(std::move(g));
  }
}

}  // namespace

void analyze_globals(PickleResult& r, const ByteSource& src, const PickleLimits& limits, uint32_t depth) {
  auto calls = calls_by_global(r.graph);
  size_t own = r.globals.size();  // nested scans append theirs
  std::unordered_set<uint64_t> scanned;
  for (size_t k = 0; k < own; ++k) {
    GlobalRef ref = r.globals[k];
    if (ref.verdict == Verdict::safe) continue;
    auto it = calls.find(ref.object);
    r.findings.push_back(global_finding(ref, r.graph, it == calls.end() ? nullptr : &it->second));
    if (it != calls.end() && is_nested_unpickler(ref.module, ref.name))
      scan_nested(r, src, limits, depth, it->second, scanned);
  }
}

}  // namespace ckpt::torch
