#pragma once
// Hand-assembles pickles byte by byte, so that a test knows the exact offset of every
// opcode it asserts on: `size_t at = p.at(); p.global("os", "system");`.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/byte_source.hpp"

namespace ckpt::torch::test {

struct PickleBuilder {
  std::vector<uint8_t> b;

  size_t at() const { return b.size(); }
  PickleBuilder& op(uint8_t c) {
    b.push_back(c);
    return *this;
  }
  PickleBuilder& u8(uint8_t v) { return op(v); }
  PickleBuilder& u16(uint16_t v) { return u8(uint8_t(v)).u8(uint8_t(v >> 8)); }
  PickleBuilder& u32(uint32_t v) { return u16(uint16_t(v)).u16(uint16_t(v >> 16)); }
  PickleBuilder& u64(uint64_t v) { return u32(uint32_t(v)).u32(uint32_t(v >> 32)); }
  PickleBuilder& text(std::string_view s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  PickleBuilder& line(std::string_view s) { return text(s).op('\n'); }

  PickleBuilder& proto(uint8_t v = 2) { return op(0x80).u8(v); }
  PickleBuilder& stop() { return op('.'); }
  PickleBuilder& mark() { return op('('); }
  PickleBuilder& none() { return op('N'); }
  PickleBuilder& int1(uint8_t v) { return op('K').u8(v); }
  PickleBuilder& int4(int32_t v) { return op('J').u32(uint32_t(v)); }
  PickleBuilder& str(std::string_view s) { return op('X').u32(uint32_t(s.size())).text(s); }    // BINUNICODE
  PickleBuilder& sstr(std::string_view s) { return op(0x8c).u8(uint8_t(s.size())).text(s); }    // SHORT_BINUNICODE
  PickleBuilder& bytes(std::string_view s) { return op('B').u32(uint32_t(s.size())).text(s); }  // BINBYTES
  PickleBuilder& global(std::string_view m, std::string_view n) { return op('c').line(m).line(n); }
  PickleBuilder& put(uint8_t i) { return op('q').u8(i); }
  PickleBuilder& get(uint8_t i) { return op('h').u8(i); }
  PickleBuilder& tuple() { return op('t'); }
  PickleBuilder& tuple1() { return op(0x85); }
  PickleBuilder& tuple2() { return op(0x86); }
  PickleBuilder& tuple3() { return op(0x87); }
  PickleBuilder& empty_tuple() { return op(')'); }
  PickleBuilder& empty_dict() { return op('}'); }
  PickleBuilder& empty_list() { return op(']'); }
  PickleBuilder& reduce() { return op('R'); }
  PickleBuilder& setitem() { return op('s'); }
  PickleBuilder& setitems() { return op('u'); }
  PickleBuilder& append() { return op('a'); }
  PickleBuilder& newfalse() { return op(0x89); }
  PickleBuilder& newtrue() { return op(0x88); }
  PickleBuilder& int2(uint16_t v) { return op('M').u16(v); }  // BININT2
  PickleBuilder& binpersid() { return op('Q'); }

  // _rebuild_tensor_v2(persistent_load(('storage', torch.<cls>, key, 'cpu', numel)), offset, size, stride, False,
  // OrderedDict()). pid_at, when given, receives the offset of its BINPERSID opcode.
  PickleBuilder& tensor_v2(std::string_view cls, std::string_view key, int32_t numel, int32_t offset,
                           const std::vector<int32_t>& size, const std::vector<int32_t>& stride,
                           size_t* pid_at = nullptr) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    mark().str("storage").global("torch", cls).str(key).str("cpu").int4(numel).tuple();
    if (pid_at) *pid_at = at();
    binpersid();
    int4(offset);
    mark();
    for (int32_t s : size) int4(s);
    tuple().mark();
    for (int32_t s : stride) int4(s);
    tuple().newfalse().global("collections", "OrderedDict").empty_tuple().reduce().tuple().reduce();
    return *this;
  }

  MemorySource source() const { return MemorySource(b, "<pickle>"); }
};

}  // namespace ckpt::torch::test
