#include "pickle_machine.hpp"

#include <algorithm>
#include <charconv>

#include "pickle_opcodes.hpp"
#include "pickle_text.hpp"

namespace ckpt::torch {

namespace {
uint64_t capped_end(uint64_t begin, uint64_t end, uint64_t max_bytes) {
  uint64_t cap = begin + max_bytes < begin ? UINT64_MAX : begin + max_bytes;
  return std::min(end, cap);
}
}  // namespace

Machine::Machine(const ByteSource& src, uint64_t begin, uint64_t end, const PickleLimits& limits, PickleResult& out)
    : src_(src), cur_(src, begin, capped_end(begin, end, limits.max_bytes)), lim_(limits), out_(out) {
  // The window ends at the byte limit before the caller's end and the data's end: running
  // out of bytes there is the limit, not a cut pickle.
  cut_by_byte_limit_ = cur_.end() < std::min(end, src.size());
}

void Machine::run() {
  out_.begin = cur_.position();
  while (!stopped_ && step()) {
  }
  out_.end = cur_.position();
}

void Machine::fail(const RuleDef& rule, std::string message) {
  std::string where = op::name(op_).empty() ? std::string("opcode") : std::string(op::name(op_));
  out_.findings.push_back(make_finding(rule, where + ": " + message, op_offset_));
  stopped_ = true;
}

// One opcode. Returns false when reading must stop (STOP, a failure, the end).
bool Machine::step() {
  op_offset_ = cur_.position();
  op_ = 0;
  if (cur_.remaining() == 0) {
    if (cut_by_byte_limit_)
      fail(rules::pickle_limit_bytes, "no STOP within " + std::to_string(lim_.max_bytes) + " bytes");
    else
      fail(rules::pickle_truncated, "no STOP before the end of the pickle");
    return false;
  }
  if (out_.opcodes >= lim_.max_opcodes) {
    fail(rules::pickle_limit_opcodes, "more than " + std::to_string(lim_.max_opcodes) + " opcodes");
    return false;
  }
  uint8_t code = 0;
  if (!cur_.read_u8(code)) {
    fail(rules::pickle_truncated, "unreadable opcode byte");
    return false;
  }
  op_ = code;
  ++out_.opcodes;
  return dispatch(code) && !stopped_;
}

bool Machine::dispatch(uint8_t c) {
  switch (c) {
    case op::MARK:
      return op_mark();
    case op::STOP:
      return op_stop();
    case op::POP:
      return op_pop();
    case op::POP_MARK: {
      std::vector<uint32_t> drop;
      return pop_mark(drop);
    }
    case op::DUP:
      return op_dup();
    case op::FLOAT:
      return op_text_float();
    case op::INT:
      return op_text_int();
    case op::BININT:
      return op_binint(4);
    case op::BININT1:
      return op_binint(1);
    case op::BININT2:
      return op_binint(2);
    case op::LONG:
      return op_text_long();
    case op::LONG1:
      return op_long_bin(1);
    case op::LONG4:
      return op_long_bin(4);
    case op::NONE:
      return push(new_object(PyKind::none));
    case op::NEWTRUE:
      return push_bool(true);
    case op::NEWFALSE:
      return push_bool(false);
    case op::BINFLOAT:
      return op_binfloat();
    case op::STRING:
      return op_text_string();
    case op::BINSTRING:
      return op_counted(4, PyKind::str);
    case op::SHORT_BINSTRING:
      return op_counted(1, PyKind::str);
    case op::UNICODE:
      return op_text_unicode();
    case op::BINUNICODE:
      return op_counted(4, PyKind::str);
    case op::SHORT_BINUNICODE:
      return op_counted(1, PyKind::str);
    case op::BINUNICODE8:
      return op_counted(8, PyKind::str);
    case op::BINBYTES:
      return op_counted(4, PyKind::bytes);
    case op::SHORT_BINBYTES:
      return op_counted(1, PyKind::bytes);
    case op::BINBYTES8:
      return op_counted(8, PyKind::bytes);
    case op::BYTEARRAY8:
      return op_counted(8, PyKind::bytearray);
    case op::EMPTY_TUPLE:
      return op_tuple_n(0);
    case op::TUPLE1:
      return op_tuple_n(1);
    case op::TUPLE2:
      return op_tuple_n(2);
    case op::TUPLE3:
      return op_tuple_n(3);
    case op::TUPLE:
      return op_from_mark(PyKind::tuple);
    case op::LIST:
      return op_from_mark(PyKind::list);
    case op::DICT:
      return op_from_mark(PyKind::dict);
    case op::FROZENSET:
      return op_from_mark(PyKind::frozenset);
    case op::EMPTY_LIST:
      return op_empty(PyKind::list);
    case op::EMPTY_DICT:
      return op_empty(PyKind::dict);
    case op::EMPTY_SET:
      return op_empty(PyKind::set);
    case op::APPEND:
      return op_append(false);
    case op::APPENDS:
      return op_append(true);
    case op::SETITEM:
      return op_setitems(false);
    case op::SETITEMS:
      return op_setitems(true);
    case op::ADDITEMS:
      return op_additems();
    case op::GET:
      return op_text_memo(false);
    case op::PUT:
      return op_text_memo(true);
    case op::BINGET: {
      uint8_t i;
      return read_le(i) && memo_get(i);
    }
    case op::LONG_BINGET: {
      uint32_t i;
      return read_le(i) && memo_get(i);
    }
    case op::BINPUT: {
      uint8_t i;
      return read_le(i) && memo_put(i);
    }
    case op::LONG_BINPUT: {
      uint32_t i;
      return read_le(i) && memo_put(i);
    }
    case op::MEMOIZE:
      return memo_put(memo_.size());
    case op::GLOBAL:
      return op_global();
    case op::STACK_GLOBAL:
      return op_stack_global();
    case op::INST:
      return op_inst();
    case op::OBJ:
      return op_obj();
    case op::NEWOBJ:
      return op_newobj(false);
    case op::NEWOBJ_EX:
      return op_newobj(true);
    case op::REDUCE:
      return op_reduce();
    case op::BUILD:
      return op_build();
    case op::PERSID:
      return op_persid(false);
    case op::BINPERSID:
      return op_persid(true);
    case op::EXT1:
      return op_ext(1);
    case op::EXT2:
      return op_ext(2);
    case op::EXT4:
      return op_ext(4);
    case op::PROTO:
      return op_proto();
    case op::FRAME:
      return op_frame();
    case op::NEXT_BUFFER:
    case op::READONLY_BUFFER:
      return op_buffer();
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      fail(rules::pickle_bad_opcode, std::string("byte ") + hex + " is no pickle opcode");
      return false;
    }
  }
}

uint32_t Machine::new_object(PyKind kind) {
  if (out_.graph.objects.size() >= lim_.max_objects) {
    fail(rules::pickle_limit_objects, "more than " + std::to_string(lim_.max_objects) + " objects");
    return kNoObject;
  }
  PyObj o;
  o.kind = kind;
  o.opcode = op_;
  o.offset = op_offset_;
  out_.graph.objects.push_back(std::move(o));
  return uint32_t(out_.graph.objects.size() - 1);
}

bool Machine::push(uint32_t obj) {
  if (obj == kNoObject) return false;
  if (stack_.size() >= lim_.max_stack) {
    fail(rules::pickle_limit_stack, "stack deeper than " + std::to_string(lim_.max_stack));
    return false;
  }
  stack_.push_back(obj);
  return true;
}

// Pops above the innermost MARK only: items below it belong to an enclosing MARK.
bool Machine::pop(uint32_t& obj) {
  size_t fence = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= fence) {
    fail(rules::pickle_stack_underflow, "needs an item the stack does not have");
    return false;
  }
  obj = stack_.back();
  stack_.pop_back();
  return true;
}

bool Machine::peek(uint32_t& obj) {
  size_t fence = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= fence) {
    fail(rules::pickle_stack_underflow, "needs an item the stack does not have");
    return false;
  }
  obj = stack_.back();
  return true;
}

bool Machine::pop_mark(std::vector<uint32_t>& items) {
  if (marks_.empty()) {
    fail(rules::pickle_mark_missing, "no MARK is open");
    return false;
  }
  size_t mark = marks_.back();
  marks_.pop_back();
  items.assign(stack_.begin() + std::ptrdiff_t(mark), stack_.end());
  stack_.resize(mark);
  return true;
}

bool Machine::read_bytes(void* dst, size_t n) {
  if (!cur_.read(dst, n)) {
    fail(cut_by_byte_limit_ ? rules::pickle_limit_bytes : rules::pickle_truncated,
         "argument of " + std::to_string(n) + " bytes runs past the end");
    return false;
  }
  return true;
}

template <class T>
bool Machine::read_le(T& v) {
  uint8_t b[sizeof(T)];
  if (!read_bytes(b, sizeof(T))) return false;
  using U = std::make_unsigned_t<T>;
  U u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) u |= U(b[i]) << (8 * i);
  v = T(u);
  return true;
}
template bool Machine::read_le<uint8_t>(uint8_t&);
template bool Machine::read_le<uint16_t>(uint16_t&);
template bool Machine::read_le<uint32_t>(uint32_t&);
template bool Machine::read_le<int32_t>(int32_t&);
template bool Machine::read_le<uint64_t>(uint64_t&);

bool Machine::read_line(std::string& line) {
  switch (cur_.read_line(line, size_t(std::min<uint64_t>(lim_.max_string, SIZE_MAX)))) {
    case ByteCursor::Line::ok:
      return true;
    case ByteCursor::Line::too_long:
      fail(rules::pickle_limit_string, "text argument longer than " + std::to_string(lim_.max_string) + " bytes");
      return false;
    case ByteCursor::Line::truncated:
      break;
  }
  fail(rules::pickle_truncated, "text argument without its newline");
  return false;
}

bool Machine::memo_put(uint64_t index) {
  uint32_t top;
  if (!peek(top)) return false;
  if (index >= lim_.max_memo) {
    fail(rules::pickle_limit_memo,
         "memo index " + std::to_string(index) + " beyond the limit " + std::to_string(lim_.max_memo));
    return false;
  }
  if (memo_.size() >= lim_.max_memo && !memo_.count(index)) {
    fail(rules::pickle_limit_memo, "more than " + std::to_string(lim_.max_memo) + " memo entries");
    return false;
  }
  memo_[index] = top;
  return true;
}

bool Machine::memo_get(uint64_t index) {
  auto it = memo_.find(index);
  if (it == memo_.end()) {
    fail(rules::pickle_memo_missing, "memo slot " + std::to_string(index) + " was never written");
    return false;
  }
  return push(it->second);
}

bool Machine::op_text_memo(bool put) {
  std::string line;
  if (!read_line(line)) return false;
  uint64_t index = 0;
  auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), index);
  if (ec != std::errc() || p != line.data() + line.size() || line.empty()) {
    fail(rules::pickle_bad_argument, "memo index " + py_repr(line, 32) + " is no decimal number");
    return false;
  }
  return put ? memo_put(index) : memo_get(index);
}

bool Machine::op_mark() {
  if (marks_.size() >= lim_.max_nesting) {
    fail(rules::pickle_limit_nesting, "more than " + std::to_string(lim_.max_nesting) + " MARKs open");
    return false;
  }
  marks_.push_back(stack_.size());
  return true;
}

// CPython's load_pop: with nothing above the innermost MARK, POP discards the MARK.
bool Machine::op_pop() {
  size_t fence = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() > fence) {
    stack_.pop_back();
    return true;
  }
  std::vector<uint32_t> drop;
  if (marks_.empty()) {
    fail(rules::pickle_stack_underflow, "needs an item the stack does not have");
    return false;
  }
  return pop_mark(drop);
}

bool Machine::op_dup() {
  uint32_t top;
  return peek(top) && push(top);
}

bool Machine::op_stop() {
  uint32_t root;
  if (!pop(root)) return false;
  out_.root = root;
  out_.complete = true;
  if (!stack_.empty() || !marks_.empty())
    out_.findings.push_back(make_finding(rules::pickle_leftover_stack,
                                         "STOP leaves " + std::to_string(stack_.size()) + " stack items and " +
                                             std::to_string(marks_.size()) + " open MARKs",
                                         op_offset_));
  return false;
}

// A frame is only a read-ahead hint; the opcodes inside are read as usual. A frame
// longer than what is left means the pickle was cut.
bool Machine::op_frame() {
  uint64_t len;
  if (!read_le(len)) return false;
  if (len > cur_.remaining()) {
    fail(rules::pickle_truncated, "frame of " + std::to_string(len) + " bytes runs past the end");
    return false;
  }
  return true;
}

bool Machine::op_proto() {
  uint8_t v;
  if (!read_le(v)) return false;
  out_.protocol = v;
  if (v > 5)
    out_.findings.push_back(
        make_finding(rules::pickle_protocol, "PROTO " + std::to_string(v) + " is above 5", op_offset_));
  return true;
}

}  // namespace ckpt::torch
