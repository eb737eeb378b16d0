#include "pickle_object.hpp"

#include "pickle_opcodes.hpp"

namespace ckpt::torch {

std::string_view kind_name(PyKind k) {
  switch (k) {
    case PyKind::none:
      return "none";
    case PyKind::boolean:
      return "bool";
    case PyKind::integer:
      return "int";
    case PyKind::big_integer:
      return "big_int";
    case PyKind::floating:
      return "float";
    case PyKind::str:
      return "str";
    case PyKind::bytes:
      return "bytes";
    case PyKind::bytearray:
      return "bytearray";
    case PyKind::tuple:
      return "tuple";
    case PyKind::list:
      return "list";
    case PyKind::dict:
      return "dict";
    case PyKind::set:
      return "set";
    case PyKind::frozenset:
      return "frozenset";
    case PyKind::global:
      return "global";
    case PyKind::reduce:
      return "reduce";
    case PyKind::newobj:
      return "newobj";
    case PyKind::persistent_id:
      return "persistent_id";
    case PyKind::ext:
      return "ext";
    case PyKind::buffer:
      return "buffer";
  }
  return "?";
}

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::safe:
      return "safe";
    case Verdict::unknown:
      return "unknown";
    case Verdict::dangerous:
      return "dangerous";
  }
  return "?";
}

const std::vector<uint32_t>& PickleGraph::elements(uint32_t i) const {
  static const std::vector<uint32_t> empty;
  if (!valid(i)) return empty;
  const PyObj& o = objects[i];
  if (o.kind == PyKind::tuple || o.kind == PyKind::list) return o.items;
  return empty;
}

const std::string* PickleGraph::str(uint32_t i) const {
  if (!valid(i) || objects[i].kind != PyKind::str) return nullptr;
  return &objects[i].text;
}

bool PickleGraph::integer(uint32_t i, int64_t& out) const {
  if (!valid(i)) return false;
  const PyObj& o = objects[i];
  if (o.kind != PyKind::integer && o.kind != PyKind::boolean) return false;
  out = o.i;
  return true;
}

std::string PickleGraph::global_name(uint32_t i) const {
  if (!valid(i) || objects[i].kind != PyKind::global) return {};
  const PyObj& o = objects[i];
  return std::string(o.module()) + "." + std::string(o.name());
}

namespace op {
std::string_view name(uint8_t c) {
  switch (c) {
    case MARK:
      return "MARK";
    case STOP:
      return "STOP";
    case POP:
      return "POP";
    case POP_MARK:
      return "POP_MARK";
    case DUP:
      return "DUP";
    case FLOAT:
      return "FLOAT";
    case INT:
      return "INT";
    case BININT:
      return "BININT";
    case BININT1:
      return "BININT1";
    case LONG:
      return "LONG";
    case BININT2:
      return "BININT2";
    case NONE:
      return "NONE";
    case PERSID:
      return "PERSID";
    case BINPERSID:
      return "BINPERSID";
    case REDUCE:
      return "REDUCE";
    case STRING:
      return "STRING";
    case BINSTRING:
      return "BINSTRING";
    case SHORT_BINSTRING:
      return "SHORT_BINSTRING";
    case UNICODE:
      return "UNICODE";
    case BINUNICODE:
      return "BINUNICODE";
    case APPEND:
      return "APPEND";
    case BUILD:
      return "BUILD";
    case GLOBAL:
      return "GLOBAL";
    case DICT:
      return "DICT";
    case EMPTY_DICT:
      return "EMPTY_DICT";
    case APPENDS:
      return "APPENDS";
    case GET:
      return "GET";
    case BINGET:
      return "BINGET";
    case INST:
      return "INST";
    case LONG_BINGET:
      return "LONG_BINGET";
    case LIST:
      return "LIST";
    case EMPTY_LIST:
      return "EMPTY_LIST";
    case OBJ:
      return "OBJ";
    case PUT:
      return "PUT";
    case BINPUT:
      return "BINPUT";
    case LONG_BINPUT:
      return "LONG_BINPUT";
    case SETITEM:
      return "SETITEM";
    case TUPLE:
      return "TUPLE";
    case EMPTY_TUPLE:
      return "EMPTY_TUPLE";
    case SETITEMS:
      return "SETITEMS";
    case BINFLOAT:
      return "BINFLOAT";
    case PROTO:
      return "PROTO";
    case NEWOBJ:
      return "NEWOBJ";
    case EXT1:
      return "EXT1";
    case EXT2:
      return "EXT2";
    case EXT4:
      return "EXT4";
    case TUPLE1:
      return "TUPLE1";
    case TUPLE2:
      return "TUPLE2";
    case TUPLE3:
      return "TUPLE3";
    case NEWTRUE:
      return "NEWTRUE";
    case NEWFALSE:
      return "NEWFALSE";
    case LONG1:
      return "LONG1";
    case LONG4:
      return "LONG4";
    case BINBYTES:
      return "BINBYTES";
    case SHORT_BINBYTES:
      return "SHORT_BINBYTES";
    case SHORT_BINUNICODE:
      return "SHORT_BINUNICODE";
    case BINUNICODE8:
      return "BINUNICODE8";
    case BINBYTES8:
      return "BINBYTES8";
    case EMPTY_SET:
      return "EMPTY_SET";
    case ADDITEMS:
      return "ADDITEMS";
    case FROZENSET:
      return "FROZENSET";
    case NEWOBJ_EX:
      return "NEWOBJ_EX";
    case STACK_GLOBAL:
      return "STACK_GLOBAL";
    case MEMOIZE:
      return "MEMOIZE";
    case FRAME:
      return "FRAME";
    case BYTEARRAY8:
      return "BYTEARRAY8";
    case NEXT_BUFFER:
      return "NEXT_BUFFER";
    case READONLY_BUFFER:
      return "READONLY_BUFFER";
    default:
      return "";
  }
}
}  // namespace op

}  // namespace ckpt::torch
