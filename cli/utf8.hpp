#pragma once
// Names, messages and paths carry whatever bytes a file or a command line holds (a
// msgpack key is any byte string), but JSON and the JUnit XML must be UTF-8. Every
// document ckpt prints goes through these, so a hostile name costs a U+FFFD, never the
// whole report.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ckpt::cli {

// s with every byte that is not part of a well-formed UTF-8 sequence (stray
// continuation bytes, truncated or overlong sequences, surrogates, beyond U+10FFFF)
// replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

// j.dump(2) that replaces invalid UTF-8 instead of throwing.
std::string json_text(const nlohmann::json& j);

}  // namespace ckpt::cli
