// llama2.c tokenizer.bin: int32 max_token_length, then per token float32 score, int32
// length, bytes. The July 2023 variant has neither max_token_length nor scores.
#include <cmath>
#include <vector>

#include "ckpt/le.hpp"
#include "reader.hpp"

namespace ckpt::llama2c {

namespace {

struct Walk {
  uint64_t n_tokens = 0;
  uint64_t end = 0;  // offset after the last complete entry
  int64_t longest = 0;
  std::optional<uint64_t> bad;  // where the walk stopped before the end of the file
  std::string why;
};

Walk walk(const std::vector<uint8_t>& b, bool with_scores, int64_t max_len) {
  Walk w;
  uint64_t pos = with_scores ? 4 : 0;
  w.end = pos;
  const uint64_t size = b.size();
  while (pos < size) {
    const uint64_t head = with_scores ? 8 : 4;
    if (size - pos < head) {
      w.bad = pos;
      w.why = "entry header cut by the end of the file";
      break;
    }
    if (with_scores && !std::isfinite(load_f32(b.data() + pos))) {
      w.bad = pos;
      w.why = "score is not finite";
      break;
    }
    const int64_t len = load_i32(b.data() + pos + head - 4);
    if (len < 0 || len > max_len) {
      w.bad = pos + head - 4;
      w.why = "token length " + std::to_string(len) + " out of range";
      break;
    }
    if (size - pos - head < uint64_t(len)) {
      w.bad = pos;
      w.why = "token bytes cut by the end of the file";
      break;
    }
    pos += head + uint64_t(len);
    w.longest = std::max(w.longest, len);
    ++w.n_tokens;
    w.end = pos;
  }
  return w;
}

}  // namespace

std::optional<TokenizerInfo> parse_tokenizer(const ByteSource& src, const OpenLimits& limits,
                                             std::vector<Finding>& findings, bool strict) {
  // Tokenizers are small (the 32000-token one is 424 KiB); beyond the limit a file is
  // not tried as one, which also bounds the buffer below. No real token is longer than
  // max_token_length; a larger length is corruption, not a token.
  const int64_t kMaxTokenLength = limits.max_token_length;
  if (src.size() < 4 || src.size() > limits.max_tokenizer_bytes) return std::nullopt;
  std::vector<uint8_t> b(size_t(src.size()));
  if (!src.read(0, b.data(), b.size())) return std::nullopt;

  const int64_t declared = load_i32(b.data());
  std::optional<Walk> scored;
  // Entries are bounded by the sanity limit, not by the declared max_token_length: a
  // token longer than declared is a tokenizer.max_length warning (run.c's merge buffer
  // is too small), not a corrupt entry that hides every token after it.
  if (declared > 0 && declared <= kMaxTokenLength) scored = walk(b, true, kMaxTokenLength);
  Walk plain = walk(b, false, kMaxTokenLength);

  auto clean = [](const Walk& w) { return !w.bad && w.n_tokens > 0; };
  TokenizerInfo info;
  const Walk* chosen = nullptr;
  if (scored && clean(*scored)) {
    chosen = &*scored;
  } else if (clean(plain) && plain.n_tokens > 1) {
    chosen = &plain;
    info.has_scores = false;
  } else if (strict) {
    return std::nullopt;
  } else {
    // Forced or half-recognised: report the variant that got further.
    chosen = (scored && scored->end >= plain.end) ? &*scored : &plain;
    info.has_scores = scored && chosen == &*scored;
  }
  info.max_token_length = info.has_scores ? declared : 0;
  info.n_tokens = chosen->n_tokens;
  info.parsed_bytes = chosen->end;
  info.longest_token = chosen->longest;
  if (chosen->bad) {
    info.first_bad_offset = chosen->bad;
    findings.push_back(
        {"tokenizer.entry", Severity::error,
         "token " + std::to_string(chosen->n_tokens) + " at byte " + std::to_string(*chosen->bad) + ": " + chosen->why,
         *chosen->bad, "token " + std::to_string(chosen->n_tokens)});
  }
  if (info.has_scores && info.longest_token > info.max_token_length)
    findings.push_back({"tokenizer.max_length", Severity::warning,
                        "a token of " + std::to_string(info.longest_token) + " bytes is longer than max_token_length " +
                            std::to_string(info.max_token_length),
                        uint64_t(0), "max_token_length"});
  return info;
}

}  // namespace ckpt::llama2c
