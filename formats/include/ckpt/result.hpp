#pragma once
// Errors as data: the library never prints or exits. A Result holds either a value or
// an Error that names the reason (a code from one catalogue) and, when there is one, the
// byte offset.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ckpt {

// Why an operation failed. Problems inside a file are findings (finding.hpp), not errors:
// an Error means the operation itself could not be done. Names and meanings are in
// error_codes(); the names ("io.read", ...) are what JSON prints and never change.
enum class ErrorCode {
  io_open,
  io_read,
  io_create,
  io_write,
  io_commit,
  detect_empty,
  detect_unknown,
  detect_truncated,
  detect_forced,
  layout_config,
  layout_format,
  layout_overflow,
  stream_dtype,
  stream_group_size,
  write_source,
  write_group_size,
  write_size,
  convert_input,
  convert_lossy,
  convert_unsupported,
  convert_group_size,
  convert_rope_size,
  inspect_tensor,
  expect_syntax,
  manifest_syntax,
  format_structure,
};

struct ErrorCodeInfo {
  ErrorCode code;
  std::string_view name;     // stable id, e.g. "io.read"
  std::string_view meaning;  // one line for the README and --help texts
};
// Every error code, in declaration order.
std::span<const ErrorCodeInfo> error_codes();
std::string_view error_code_name(ErrorCode c);
// Prints the code's name (test messages, logs).
std::ostream& operator<<(std::ostream& os, ErrorCode c);

struct Error {
  ErrorCode code = ErrorCode::io_read;
  std::string message;  // one line, no trailing period
  std::optional<uint64_t> offset;
  // The family's own id of the failure, when it has one (e.g. "zip.no_eocd"): families
  // report it as the rule of a finding when they can still show the file.
  std::string cause = {};
  std::string_view code_name() const { return error_code_name(code); }
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
