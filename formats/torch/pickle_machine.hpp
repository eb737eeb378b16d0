#pragma once
// Internal: the stack machine behind unpickle(). One Machine reads one pickle; the
// opcode handlers are split by family over pickle_machine.cpp (stack, memo, marks),
// pickle_ops_scalar.cpp (numbers, strings) and pickle_ops_struct.cpp (containers,
// globals, calls). A handler that meets a problem calls fail(), which records the
// finding and stops the machine: after a broken opcode the stack no longer means
// anything, exactly as for CPython, which raises.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "byte_cursor.hpp"
#include "pickle_reader.hpp"
#include "torch_codes.hpp"

namespace ckpt::torch {

class Machine {
 public:
  Machine(const ByteSource& src, uint64_t begin, uint64_t end, const PickleLimits& limits, PickleResult& out);
  void run();

 private:
  // --- core (pickle_machine.cpp)
  bool step();
  bool dispatch(uint8_t code);
  void fail(const RuleDef& rule, std::string message);
  uint32_t new_object(PyKind kind);  // kNoObject (after fail) when the arena is full
  bool push(uint32_t obj);
  bool pop(uint32_t& obj);
  bool peek(uint32_t& obj);
  bool pop_mark(std::vector<uint32_t>& items);
  bool read_bytes(void* dst, size_t n);
  template <class T>
  bool read_le(T& v);
  bool read_line(std::string& line);
  bool memo_put(uint64_t index);
  bool memo_get(uint64_t index);
  bool op_mark();
  bool op_pop();
  bool op_dup();
  bool op_stop();
  bool op_frame();
  bool op_proto();
  bool op_text_memo(bool put);
  // --- scalars and strings (pickle_ops_scalar.cpp)
  bool push_int(int64_t v);
  bool push_bool(bool v);
  bool push_str(std::string text, uint64_t data_offset, uint64_t length);
  bool op_binint(size_t width);
  bool op_long_bin(size_t width);
  bool op_text_int();
  bool op_text_long();
  bool op_text_float();
  bool op_binfloat();
  bool op_counted(size_t width, PyKind kind);  // BINUNICODE*, BINSTRING*, BINBYTES*, BYTEARRAY8
  bool op_text_string();
  bool op_text_unicode();
  // --- containers, globals and calls (pickle_ops_struct.cpp)
  bool check_size(const PyObj& target, uint64_t adding);
  bool op_tuple_n(size_t n);
  bool op_from_mark(PyKind kind);  // TUPLE, LIST, DICT, FROZENSET
  bool op_empty(PyKind kind);
  bool op_append(bool many);
  bool op_setitems(bool many);
  bool op_additems();
  bool op_global();
  bool op_stack_global();
  bool op_inst();
  bool op_obj();
  bool op_newobj(bool ex);
  bool op_reduce();
  bool op_build();
  bool op_persid(bool binary);
  bool op_ext(size_t width);
  bool op_buffer();
  uint32_t make_global(std::string module, std::string name, bool dynamic);

  const ByteSource& src_;
  ByteCursor cur_;
  const PickleLimits& lim_;
  PickleResult& out_;
  std::vector<uint32_t> stack_;
  std::vector<size_t> marks_;  // stack sizes at each open MARK
  std::unordered_map<uint64_t, uint32_t> memo_;
  uint64_t op_offset_ = 0;  // offset of the opcode being executed
  uint8_t op_ = 0;
  bool stopped_ = false;
  bool cut_by_byte_limit_ = false;
};

}  // namespace ckpt::torch
