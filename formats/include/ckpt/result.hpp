#pragma once
// Errors as data: the library never prints or exits. A Result holds either a value or
// an Error that names the reason and, when there is one, the byte offset.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ckpt {

struct Error {
  std::string code;     // stable machine-readable id, e.g. "io.open", "detect.unknown"
  std::string message;  // one line, no trailing period
  std::optional<uint64_t> offset;
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace ckpt
