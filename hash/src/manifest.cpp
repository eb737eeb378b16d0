#include "ckpt/manifest.hpp"

#include <optional>
#include <set>
#include <sstream>

namespace ckpt {

std::string_view manifest_status_name(ManifestStatus s) {
  switch (s) {
    case ManifestStatus::ok:
      return "ok";
    case ManifestStatus::mismatch:
      return "mismatch";
    case ManifestStatus::missing:
      return "missing";
    case ManifestStatus::unexpected:
      return "unexpected";
  }
  return "mismatch";
}

namespace {

// A name is the rest of its line, so the bytes that would end the line (a msgpack key may
// hold them) and the escape character itself are written as \n, \r and \\.
std::string escape_name(const std::string& name) {
  if (name.find_first_of("\\\n\r") == std::string::npos) return name;
  std::string out;
  for (char c : name) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
  return out;
}

std::optional<std::string> unescape_name(const std::string& text) {
  if (text.find('\\') == std::string::npos) return text;
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    if (text[i] == '\\')
      out += '\\';
    else if (text[i] == 'n')
      out += '\n';
    else if (text[i] == 'r')
      out += '\r';
    else
      return std::nullopt;
  }
  return out;
}

}  // namespace

std::string manifest_text(const HashReport& r) {
  std::string out = "# ckpt hash manifest\n# mode: ";
  out += r.mode == HashMode::values ? "values\n" : "stored\n";
  const std::string algo(hash_algo_name(r.algo));
  for (const auto& t : r.tensors)
    if (t.hex) out += algo + " " + *t.hex + " " + escape_name(t.name) + "\n";
  if (!r.model_hex.empty()) out += algo + " " + r.model_hex + " *\n";
  return out;
}

Result<Manifest> parse_manifest(const std::string& text) {
  Manifest m;
  std::istringstream in(text);
  std::string line;
  std::optional<HashAlgo> algo;
  int lineno = 0;
  auto bad = [&](const std::string& why) {
    return Error{ErrorCode::manifest_syntax, "line " + std::to_string(lineno) + ": " + why, {}};
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line == "# mode: values") m.mode = HashMode::values;
      continue;
    }
    const size_t a = line.find(' ');
    const size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
    if (b == std::string::npos || b + 1 >= line.size()) return bad("expected 'ALGO HASH NAME'");
    auto la = parse_hash_algo(line.substr(0, a));
    if (!la) return bad("unknown algorithm '" + line.substr(0, a) + "'");
    if (algo && *algo != *la) return bad("mixes algorithms");
    algo = la;
    const std::string hex = line.substr(a + 1, b - a - 1);
    const auto unescaped = unescape_name(line.substr(b + 1));
    if (!unescaped) return bad("a backslash in a name must be followed by \\, n or r");
    const std::string& name = *unescaped;
    if (hex.empty() || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
      return bad("'" + hex + "' is not a lowercase hex digest");
    if (name == "*") {
      if (m.model) return bad("the model line appears twice");
      m.model = hex;
    } else if (!m.tensors.emplace(name, hex).second) {
      return bad(name + " is listed twice");
    }
  }
  if (algo) m.algo = *algo;
  return m;
}

std::vector<ManifestCheck> check_manifest(const HashReport& r, const Manifest& m) {
  std::vector<ManifestCheck> out;
  std::set<std::string> seen;
  for (const auto& t : r.tensors) {
    seen.insert(t.name);
    auto it = m.tensors.find(t.name);
    const std::string actual = t.hex.value_or("");
    if (it == m.tensors.end())
      out.push_back({t.name, ManifestStatus::unexpected, "", actual});
    else
      out.push_back({t.name, it->second == actual ? ManifestStatus::ok : ManifestStatus::mismatch, it->second, actual});
  }
  for (const auto& [name, hex] : m.tensors)
    if (!seen.count(name)) out.push_back({name, ManifestStatus::missing, hex, ""});
  if (m.model)
    out.push_back(
        {"*", *m.model == r.model_hex ? ManifestStatus::ok : ManifestStatus::mismatch, *m.model, r.model_hex});
  return out;
}

}  // namespace ckpt
