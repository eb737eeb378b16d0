#pragma once
// The inert object graph a restricted unpickle builds. Objects live in one arena and
// refer to each other by index, so shared references (memo GETs) and cycles (a list that
// holds itself) cost one index and no walk ever has to recurse through them. Nothing in
// it can be called: a global is two strings, a REDUCE is a record of (callable, args).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt::torch {

inline constexpr uint32_t kNoObject = 0xFFFFFFFFu;

enum class PyKind : uint8_t {
  none,
  boolean,
  integer,      // fits int64: value in i
  big_integer,  // beyond int64: little-endian two's complement bytes (LONG1/LONG4) or decimal text (LONG/INT)
  floating,
  str,
  bytes,
  bytearray,
  tuple,
  list,
  dict,  // pairs: items holds k0, v0, k1, v1, ...
  set,
  frozenset,
  global,         // module + name (GLOBAL, STACK_GLOBAL, INST's class, EXT)
  reduce,         // callable(*args): REDUCE
  newobj,         // cls.__new__(cls, *args, **kwargs): NEWOBJ, NEWOBJ_EX, OBJ, INST
  persistent_id,  // persistent_load(pid): PERSID, BINPERSID
  ext,            // EXT1/2/4 code the default (empty) copyreg registry does not resolve
  buffer,         // NEXT_BUFFER placeholder (out-of-band data a file cannot carry)
};

std::string_view kind_name(PyKind k);

struct PyObj {
  PyKind kind = PyKind::none;
  uint8_t opcode = 0;   // opcode that created it
  uint64_t offset = 0;  // byte offset of that opcode in the source
  int64_t i = 0;        // integer, boolean (0/1), ext code; global: length of the module part of text
  double f = 0;
  // str: UTF-8 text (as the pickle holds it); bytes: the first PickleLimits::keep_bytes
  // bytes; big_integer: its bytes or digits; global: module followed by name.
  std::string text;
  uint64_t data_offset = 0;  // bytes/str taken straight from the source: where the data starts
  uint64_t data_length = 0;  // and how long it is (text may keep only a prefix of bytes)
  // tuple/list/set/frozenset: elements; dict: pairs. A reduce/newobj also collects what
  // APPENDS / SETITEMS / ADDITEMS add to it (a dict subclass such as OrderedDict is
  // filled that way): items for appended elements, pairs for set items.
  std::vector<uint32_t> items;
  std::vector<uint32_t> pairs;
  uint32_t callable = kNoObject;  // reduce: callable; newobj: cls; persistent_id: pid
  uint32_t args = kNoObject;      // reduce/newobj: args tuple
  uint32_t kwargs = kNoObject;    // newobj (NEWOBJ_EX): kwargs dict
  // BUILD sets state on the object in place, as Python's setstate does, so every memo
  // reference to the object sees it.
  uint32_t state = kNoObject;

  std::string_view module() const { return std::string_view(text).substr(0, size_t(i)); }
  std::string_view name() const { return std::string_view(text).substr(size_t(i)); }
};

// What a global would import, as a real unpickler's find_class would see it.
enum class Verdict : uint8_t { safe, unknown, dangerous };
std::string_view verdict_name(Verdict v);

struct GlobalRef {
  std::string module;
  std::string name;
  uint8_t opcode = 0;   // GLOBAL, STACK_GLOBAL, INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1/2/4
  uint64_t offset = 0;  // of that opcode
  Verdict verdict = Verdict::unknown;
  uint32_t object = kNoObject;  // the global object in the graph
  bool dynamic = false;         // STACK_GLOBAL operands were not strings: module/name unknown
};

struct PickleGraph {
  std::vector<PyObj> objects;
  const PyObj& at(uint32_t i) const { return objects[i]; }
  bool valid(uint32_t i) const { return i < objects.size(); }
  // Elements of a tuple/list (empty for anything else or an invalid index).
  const std::vector<uint32_t>& elements(uint32_t i) const;
  // The str value when i is a str, else nullptr.
  const std::string* str(uint32_t i) const;
  // The int64 value when i is an integer or boolean.
  bool integer(uint32_t i, int64_t& out) const;
  // "module.name" when i is a global, else empty.
  std::string global_name(uint32_t i) const;
};

}  // namespace ckpt::torch
