#pragma once
// What the globals a pickle imports would do, judged without importing anything.
//
// safe: what torch.save, numpy pickles and plain containers produce (torch's own
//   weights_only allowlist, torch/_weights_only_unpickler.py, plus numpy's
//   reconstructors, argparse.Namespace, pathlib paths, datetime and copyreg helpers that
//   only build objects of classes named by another, separately judged, global).
// dangerous: the union of picklescan's _unsafe_globals (src/picklescan/scanner.py) and
//   modelscan's unsafe_globals (modelscan/settings.py), widened: process and code
//   execution (os, posix, nt, _posixsubprocess, subprocess, pty, runpy, code, importlib,
//   ctypes, marshal, types.CodeType/FunctionType), builtins that evaluate, import, open
//   or reach attributes, nested unpicklers (pickle, _pickle, cPickle, dill, joblib,
//   torch.load), network and browser modules. A module listed whole covers its
//   submodules (picklescan does the same).
//   A dotted name (module torch, name serialization.os.system) is dangerous unless the
//   whole path is safe: find_class walks it through attributes, which reach any module
//   the first one imported.
// unknown: everything else; importing it runs that module's code.
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/byte_source.hpp"
#include "ckpt/result.hpp"
#include "pickle_limits.hpp"
#include "pickle_object.hpp"

namespace ckpt::torch {

struct PickleResult;

// Python 2 spellings (__builtin__, copy_reg, cPickle) are judged like their Python 3 names.
Verdict classify_global(std::string_view module, std::string_view name);

// True for callables that unpickle their first argument (pickle.loads and relatives):
// their bytes payload is scanned as a pickle of its own.
bool is_nested_unpickler(std::string_view module, std::string_view name);

// A call as Python source, e.g. os.system('id'), for messages: constants are rendered,
// anything else as <kind>. Bounded in length and depth.
std::string render_call(const PickleGraph& g, uint32_t callable, uint32_t args);

// Adds one security finding per global of r (dangerous: error, unknown: warning) with
// the calls the pickle makes with it, and scans nested pickle payloads to the depth the
// limits allow. depth counts the pickles around this one.
void analyze_globals(PickleResult& r, const ByteSource& src, const PickleLimits& limits, uint32_t depth);

// unpickle() for a pickle nested depth levels inside others (internal to the unpickler).
Result<PickleResult> unpickle_at_depth(const ByteSource& src, uint64_t offset, uint64_t limit,
                                       const PickleLimits& limits, uint32_t depth);

}  // namespace ckpt::torch
