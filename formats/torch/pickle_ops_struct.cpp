// Containers, globals and calls. Calls are recorded, never made: REDUCE becomes a
// reduce object, BUILD sets the object's state in place (Python mutates the object, so
// every memo reference must see the state), and a global is two strings.
#include "pickle_globals.hpp"
#include "pickle_machine.hpp"
#include "pickle_opcodes.hpp"

namespace ckpt::torch {

namespace {
bool is_dict_like(PyKind k) { return k == PyKind::dict || k == PyKind::reduce || k == PyKind::newobj; }
bool is_list_like(PyKind k) { return k == PyKind::list || k == PyKind::reduce || k == PyKind::newobj; }
bool is_set_like(PyKind k) { return k == PyKind::set || k == PyKind::reduce || k == PyKind::newobj; }
}  // namespace

bool Machine::check_size(const PyObj& target, uint64_t adding) {
  uint64_t have = target.items.size() + target.pairs.size() / 2;
  if (adding > lim_.max_container || have > lim_.max_container - adding) {
    fail(rules::pickle_limit_container, "a container of more than " + std::to_string(lim_.max_container) + " items");
    return false;
  }
  return true;
}

bool Machine::op_tuple_n(size_t n) {
  uint32_t items[3];
  for (size_t k = n; k > 0; --k)
    if (!pop(items[k - 1])) return false;
  uint32_t o = new_object(PyKind::tuple);
  if (o == kNoObject) return false;
  out_.graph.objects[o].items.assign(items, items + n);
  return push(o);
}

bool Machine::op_from_mark(PyKind kind) {
  std::vector<uint32_t> items;
  if (!pop_mark(items)) return false;
  if (kind == PyKind::dict && items.size() % 2 != 0) {
    fail(rules::pickle_bad_operand, "DICT with an odd number of items (" + std::to_string(items.size()) + ")");
    return false;
  }
  uint32_t o = new_object(kind);
  if (o == kNoObject) return false;
  PyObj& obj = out_.graph.objects[o];
  if (!check_size(obj, kind == PyKind::dict ? items.size() / 2 : items.size())) return false;
  if (kind == PyKind::dict)
    obj.pairs = std::move(items);
  else
    obj.items = std::move(items);
  return push(o);
}

bool Machine::op_empty(PyKind kind) { return push(new_object(kind)); }

bool Machine::op_append(bool many) {
  std::vector<uint32_t> items;
  if (many) {
    if (!pop_mark(items)) return false;
  } else {
    uint32_t v;
    if (!pop(v)) return false;
    items.push_back(v);
  }
  uint32_t target;
  if (!peek(target)) return false;
  PyObj& obj = out_.graph.objects[target];
  if (!is_list_like(obj.kind)) {
    fail(rules::pickle_bad_operand, "appends to a " + std::string(kind_name(obj.kind)));
    return false;
  }
  if (!check_size(obj, items.size())) return false;
  obj.items.insert(obj.items.end(), items.begin(), items.end());
  return true;
}

bool Machine::op_setitems(bool many) {
  std::vector<uint32_t> items;
  if (many) {
    if (!pop_mark(items)) return false;
  } else {
    uint32_t k, v;
    if (!pop(v) || !pop(k)) return false;
    items = {k, v};
  }
  if (items.size() % 2 != 0) {
    fail(rules::pickle_bad_operand, "SETITEMS with an odd number of items (" + std::to_string(items.size()) + ")");
    return false;
  }
  uint32_t target;
  if (!peek(target)) return false;
  PyObj& obj = out_.graph.objects[target];
  if (!is_dict_like(obj.kind)) {
    fail(rules::pickle_bad_operand, "sets items of a " + std::string(kind_name(obj.kind)));
    return false;
  }
  if (!check_size(obj, items.size() / 2)) return false;
  obj.pairs.insert(obj.pairs.end(), items.begin(), items.end());
  return true;
}

bool Machine::op_additems() {
  std::vector<uint32_t> items;
  if (!pop_mark(items)) return false;
  uint32_t target;
  if (!peek(target)) return false;
  PyObj& obj = out_.graph.objects[target];
  if (!is_set_like(obj.kind)) {
    fail(rules::pickle_bad_operand, "adds items to a " + std::string(kind_name(obj.kind)));
    return false;
  }
  if (!check_size(obj, items.size())) return false;
  obj.items.insert(obj.items.end(), items.begin(), items.end());
  return true;
}

uint32_t Machine::make_global(std::string module, std::string name, bool dynamic) {
  uint32_t o = new_object(PyKind::global);
  if (o == kNoObject) return kNoObject;
  PyObj& obj = out_.graph.objects[o];
  obj.i = int64_t(module.size());
  obj.text = module + name;
  GlobalRef ref;
  ref.verdict = dynamic ? Verdict::dangerous : classify_global(module, name);
  ref.module = std::move(module);
  ref.name = std::move(name);
  ref.opcode = op_;
  ref.offset = op_offset_;
  ref.object = o;
  ref.dynamic = dynamic;
  out_.globals.push_back(std::move(ref));
  return o;
}

bool Machine::op_global() {
  std::string module, name;
  if (!read_line(module) || !read_line(name)) return false;
  return push(make_global(std::move(module), std::move(name), false));
}

// The operands may come from anywhere: literal strings, memo GETs, or objects built by
// other opcodes. Anything but a str means the import is decided at load time.
bool Machine::op_stack_global() {
  uint32_t name, module;
  if (!pop(name) || !pop(module)) return false;
  const std::string* m = out_.graph.str(module);
  const std::string* n = out_.graph.str(name);
  if (m && n) return push(make_global(*m, *n, false));
  auto describe = [&](uint32_t i, const std::string* s) {
    if (s) return *s;
    std::string k(1, '<');
    k += kind_name(out_.graph.at(i).kind);
    return k + ">";
  };
  return push(make_global(describe(module, m), describe(name, n), true));
}

// INST module\nname\n, then the arguments since the last MARK: cls(*args).
bool Machine::op_inst() {
  std::string module, name;
  if (!read_line(module) || !read_line(name)) return false;
  std::vector<uint32_t> items;
  if (!pop_mark(items)) return false;
  uint32_t cls = make_global(std::move(module), std::move(name), false);
  uint32_t args = new_object(PyKind::tuple);
  uint32_t o = new_object(PyKind::newobj);
  if (cls == kNoObject || args == kNoObject || o == kNoObject) return false;
  out_.graph.objects[args].items = std::move(items);
  out_.graph.objects[o].callable = cls;
  out_.graph.objects[o].args = args;
  return push(o);
}

// OBJ: MARK cls arg1 ... argN OBJ -> cls(*args).
bool Machine::op_obj() {
  std::vector<uint32_t> items;
  if (!pop_mark(items)) return false;
  if (items.empty()) {
    fail(rules::pickle_stack_underflow, "OBJ without a class after its MARK");
    return false;
  }
  uint32_t args = new_object(PyKind::tuple);
  uint32_t o = new_object(PyKind::newobj);
  if (args == kNoObject || o == kNoObject) return false;
  out_.graph.objects[args].items.assign(items.begin() + 1, items.end());
  out_.graph.objects[o].callable = items[0];
  out_.graph.objects[o].args = args;
  return push(o);
}

bool Machine::op_newobj(bool ex) {
  uint32_t cls, args, kwargs = kNoObject;
  if (ex && !pop(kwargs)) return false;
  if (!pop(args) || !pop(cls)) return false;
  uint32_t o = new_object(PyKind::newobj);
  if (o == kNoObject) return false;
  PyObj& obj = out_.graph.objects[o];
  obj.callable = cls;
  obj.args = args;
  obj.kwargs = kwargs;
  return push(o);
}

bool Machine::op_reduce() {
  uint32_t callable, args;
  if (!pop(args) || !pop(callable)) return false;
  uint32_t o = new_object(PyKind::reduce);
  if (o == kNoObject) return false;
  out_.graph.objects[o].callable = callable;
  out_.graph.objects[o].args = args;
  return push(o);
}

bool Machine::op_build() {
  uint32_t state, target;
  if (!pop(state) || !peek(target)) return false;
  out_.graph.objects[target].state = state;
  return true;
}

bool Machine::op_persid(bool binary) {
  uint32_t pid;
  if (binary) {
    if (!pop(pid)) return false;
  } else {
    uint64_t at = cur_.position();
    std::string line;
    if (!read_line(line)) return false;
    uint32_t s = new_object(PyKind::str);
    if (s == kNoObject) return false;
    out_.graph.objects[s].text = std::move(line);
    out_.graph.objects[s].data_offset = at;
    pid = s;
  }
  uint32_t o = new_object(PyKind::persistent_id);
  if (o == kNoObject) return false;
  out_.graph.objects[o].callable = pid;
  return push(o);
}

// Extension codes name a global through copyreg's registry, which is empty unless some
// imported module registered codes: the reader cannot know what a code would resolve to.
bool Machine::op_ext(size_t width) {
  uint32_t code = 0;
  if (width == 1) {
    uint8_t v;
    if (!read_le(v)) return false;
    code = v;
  } else if (width == 2) {
    uint16_t v;
    if (!read_le(v)) return false;
    code = v;
  } else if (!read_le(code)) {
    return false;
  }
  uint32_t g = make_global("copyreg._extension_registry", std::to_string(code), false);
  if (g == kNoObject) return false;
  out_.graph.objects[g].kind = PyKind::ext;
  out_.graph.objects[g].i = int64_t(std::string_view("copyreg._extension_registry").size());
  return push(g);
}

bool Machine::op_buffer() {
  fail(rules::pickle_out_of_band, "the pickle needs an out-of-band buffer that a file cannot supply");
  return false;
}

}  // namespace ckpt::torch
