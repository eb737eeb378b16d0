// Rules that compare the file with something outside it: --expect and --tokenizer.
#include <algorithm>
#include <charconv>
#include <string>

#include "rules.hpp"

namespace ckpt {

const std::vector<std::string>& expectation_keys() {
  static const std::vector<std::string> keys{"dim",        "hidden_dim", "n_layers",          "n_heads",
                                             "n_kv_heads", "vocab_size", "seq_len",           "group_size",
                                             "head_size",  "kv_dim",     "shared_classifier", "format"};
  return keys;
}

Result<bool> parse_expectations(const std::string& text, Expectations& into) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) return Error{ErrorCode::expect_syntax, "'" + item + "' is not key=value", {}};
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    const auto& keys = expectation_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string known;
      for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k;
      return Error{ErrorCode::expect_syntax, "unknown key '" + key + "' (known: " + known + ")", {}};
    }
    if (key == "format") {
      auto f = parse_format_name(value);
      if (!f) return Error{ErrorCode::expect_syntax, "format=" + value + ": unknown format name", {}};
      into.format = f;
      continue;
    }
    int64_t v = 0;
    if (key == "shared_classifier" && (value == "true" || value == "false")) {
      v = value == "true";
    } else {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size() || value.empty())
        return Error{ErrorCode::expect_syntax, key + "=" + value + ": not an integer", {}};
    }
    into.values[key] = v;
  }
  return true;
}

namespace validation {

namespace {

// The value of an expectation key in a checkpoint, and the header field it comes from.
std::optional<int64_t> actual_value(const ModelConfig& m, const std::string& key, std::string& field) {
  field = key;
  if (key == "dim") return m.dim;
  if (key == "hidden_dim") return m.hidden_dim;
  if (key == "n_layers") return m.n_layers;
  if (key == "n_heads") return m.n_heads;
  if (key == "n_kv_heads") return m.n_kv_heads;
  if (key == "vocab_size") return m.vocab_size;
  if (key == "seq_len") return m.seq_len;
  if (key == "group_size") return m.group_size;
  if (key == "shared_classifier") return m.shared_classifier ? 1 : 0;
  field = "n_heads";  // derived values: point at the divisor
  if (key == "head_size") return m.head_size();
  if (key == "kv_dim") return m.kv_dim();
  return std::nullopt;
}

}  // namespace

void check_expectations(const RuleContext& c, Collector& out) {
  const Expectations& e = c.opt.expect;
  if (e.format && *e.format != c.cp.format)
    out.field(
        "expect.format",
        "format is " + std::string(format_name(c.cp.format)) + ", expected " + std::string(format_name(*e.format)),
        std::nullopt, "format");
  for (const auto& [key, want] : e.values) {
    std::optional<int64_t> have;
    std::string field = key;
    if (c.cp.tokenizer) {
      // A tokenizer only knows its token count, which must equal the model's vocab_size.
      if (key == "vocab_size" && c.cp.tokenizer) have = int64_t(c.cp.tokenizer->n_tokens);
    } else if (c.cp.config) {
      have = actual_value(*c.cp.config, key, field);
    }
    // v0 stores the flag as vocab_size's sign: point at the field that holds it.
    if (key == "shared_classifier" && !header_field(c.cp, "shared_classifier") && header_field(c.cp, "vocab_size"))
      field = "vocab_size";
    const auto at = field_offset(c.cp, field);
    if (!have) {
      out.field("expect.config", key + ": expected " + std::to_string(want) + ", but the file has no such value", at,
                key);
    } else if (*have != want) {
      out.field("expect.config", key + " is " + std::to_string(*have) + ", expected " + std::to_string(want), at,
                field);
    }
  }
}

void check_tokenizer_vocab(const RuleContext& c, Collector& out) {
  if (!c.opt.tokenizer || !c.cp.config) return;
  const TokenizerRef& t = *c.opt.tokenizer;
  const uint64_t vocab = uint64_t(c.cp.config->vocab_size);
  if (t.n_tokens != vocab)
    out.field("tokenizer.vocab",
              "tokenizer " + t.name + " has " + std::to_string(t.n_tokens) + " tokens, the model's vocab_size is " +
                  std::to_string(vocab),
              field_offset(c.cp, "vocab_size"), "vocab_size");
}

}  // namespace validation
}  // namespace ckpt
