// The one table of validation rules. README.md (via scripts/rule_table.py) and `ckpt validate --list-rules`
// are generated from the same entries, so the documentation cannot drift from the code.
#include "ckpt/rule_catalogue.hpp"

#include <algorithm>

#include "ckpt/family_rules.hpp"

namespace ckpt {

namespace {

using S = Severity;
using R = RuleScope;

const std::vector<RuleInfo> kOwnRules{
    // Detection and I/O: the file could not be checked at all (exit 2).
    {"detect.empty", S::error, R::any, false, "the file has at least one byte",
     "an empty file is a failed download or copy; no format fits it"},
    {"detect.unknown", S::error, R::any, false, "the bytes match a known format",
     "no ak42 magic, no plausible v0 header, no tokenizer: nothing can be checked"},
    {"io.open", S::error, R::any, false, "the file can be opened and read",
     "a missing or unreadable input is a usage problem, not a verdict"},
    {"io.read", S::error, R::any, false, "every byte of the data can be read during the scan",
     "a read error (I/O error, file shrinking) leaves the data unchecked"},

    // Header.
    {"header.truncated", S::error, R::checkpoint, false, "the file holds the whole header",
     "a file cut inside its header has no config; nothing after it can be located"},
    {"header.magic", S::error, R::ak42, false,
     "bytes 0..3 are the ak42 magic when the rest of the header describes an ak42 file of this exact size",
     "a damaged magic makes every loader reject the file (runq.c) or misread it as v0 (run.c)"},
    {"header.version", S::error, R::ak42, false, "the ak42 version is 1 or 2",
     "forks reuse the magic with versions 3 and up for unrelated layouts; guessing would misread them"},
    {"header.value", S::error, R::checkpoint, false,
     "dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len are positive and in range "
     "(ak42: vocab_size positive; n_layers at most 1024; seq_len at most 1048576)",
     "run.c sizes its buffers and pointer arithmetic from these values; zero or negative ones crash it"},
    {"header.overflow", S::error, R::checkpoint, false, "the tensor sizes the header implies fit in 64 bits",
     "a product that wraps around would place tensors at nonsense offsets"},
    {"header.shared_flag", S::error, R::ak42, false, "the ak42 shared_classifier byte (offset 36) is 0 or 1",
     "runq.c reads it as a boolean; any other value means the header is corrupt or from another writer"},
    {"header.padding", S::warning, R::ak42, false, "the ak42 header padding up to byte 256 is zero",
     "llama2.c's exporter writes zeros; other bytes there mean another writer or a corrupted header"},

    // Config consistency: no consumer checks these, so a validator must.
    {"config.dim_heads", S::error, R::checkpoint, false, "dim is a multiple of n_heads",
     "head_size = dim / n_heads truncates otherwise: attention reads the wrong rows"},
    {"config.kv_heads", S::error, R::checkpoint, false, "n_heads is a multiple of n_kv_heads",
     "grouped-query attention maps n_heads / n_kv_heads query heads to each kv head"},
    {"config.head_size", S::error, R::checkpoint, false, "head_size (dim / n_heads) is even",
     "RoPE rotates pairs of dimensions; an odd head size leaves one unrotated and misaligns the tables"},

    // Q8_0 group size.
    {"quant.group_size", S::error, R::q8, false, "the Q8_0 group_size (offset 37) is positive",
     "every scale covers group_size values; zero or negative has no meaning"},
    {"quant.group_dim", S::error, R::q8, false, "dim is a multiple of group_size",
     "the exporter halves the group size until it divides dim; runq.c quantizes activations of size dim"},
    {"quant.group_numel", S::error, R::q8, false, "every quantized tensor's element count is a multiple of group_size",
     "the exporter refuses otherwise; the last partial group has no scale and runq.c misplaces what follows"},
    {"quant.group_hidden", S::warning, R::q8, false, "hidden_dim is a multiple of group_size",
     "the exporter never checks it, but runq.c silently computes garbage in the FFN when it is not"},
    {"quant.scale_nonfinite", S::error, R::q8, true, "every Q8_0 scale is finite",
     "a NaN or Inf scale turns its whole group into NaN or Inf"},
    {"quant.scale_nonpositive", S::error, R::q8, true,
     "scales are not negative, and a zero scale only covers an all-zero int8 group",
     "the exporter writes max|w| / 127 >= 0; a zero scale with non-zero int8 values loses them"},
    {"quant.int8_min", S::warning, R::q8, true, "no int8 value is -128",
     "the exporter rounds w / (max|w| / 127) into [-127, 127]; -128 means another quantizer or corruption"},

    // Alignment.
    {"align.f32", S::warning, R::checkpoint, false,
     "every fp32 array (tensor data or scales) starts at a multiple of 4",
     "run.c and runq.c cast the mapped bytes to float*; unaligned floats are slow or fault on some CPUs "
     "(a Q8_0 tensor whose element count is not a multiple of 4 pushes the next scales off alignment)"},
    {"align.required", S::error, R::checkpoint, false,
     "with --require-alignment N: every array starts at a multiple of N",
     "consumers that use aligned SIMD loads or map the file into GPU buffers need more than 4 bytes"},

    // Size and layout.
    {"size.truncated", S::error, R::checkpoint, false, "the file is at least as long as the header says",
     "the most common broken file in the wild; run.c never checks and segfaults"},
    {"size.trailing", S::error, R::checkpoint, false, "the file is not longer than the header says",
     "extra bytes mean the header does not describe the file (another layout, or concatenated files)"},
    {"layout.q8_order", S::info, R::v2, false,
     "which v2 order (interleaved or scales last) the bytes fit; warning when both fit, error when neither",
     "both orders share header, version and size; reading one as the other gives garbage weights"},

    // Tokenizer.
    {"tokenizer.header", S::error, R::tokenizer, false, "the tokenizer file is readable (4 bytes to 64 MiB)",
     "a tokenizer that cannot be read cannot be checked"},
    {"tokenizer.entry", S::error, R::tokenizer, false, "every token entry lies inside the file with a sane length",
     "run.c reads entries without bounds checks; a cut or corrupt entry crashes or garbles it"},
    {"tokenizer.max_length", S::warning, R::tokenizer, false, "no token is longer than max_token_length",
     "run.c sizes its merge buffer from max_token_length"},
    {"tokenizer.vocab", S::error, R::tokenizer, false,
     "with --tokenizer: the tokenizer's token count equals the model's |vocab_size|",
     "the count is not stored: run.c reads vocab_size entries and decodes ids out of range otherwise"},

    // --expect.
    {"expect.config", S::error, R::expect, false, "with --expect: each named header value has the expected value",
     "CI pins the shape of an exported model; a different config is a different model"},
    {"expect.format", S::error, R::expect, false, "with --expect format=NAME: the file has that layout",
     "a consumer built for one layout misreads the others"},

    // Manifests written by `ckpt hash` (--manifest).
    {"manifest.ok", S::info, R::manifest, false, "with --manifest: the tensor's hash equals the manifest's",
     "proves the tensor is the one the manifest was made from"},
    {"manifest.mismatch", S::error, R::manifest, false,
     "with --manifest: no tensor (or the model line) hashes differently", "a converter or a copy changed the weights"},
    {"manifest.missing", S::error, R::manifest, false,
     "with --manifest: every tensor the manifest lists is in the file",
     "a tensor was dropped (e.g. an untied classifier lost by the v1 Q8_0 layout)"},
    {"manifest.unexpected", S::error, R::manifest, false,
     "with --manifest: every tensor in the file is in the manifest",
     "the file holds a tensor the reference does not: another model or another export"},

    // tt-train msgpack structure (found while indexing; every one carries the byte offset).
    {"ttml.truncated", S::error, R::ttml, false,
     "no key, value or array is cut by the end of the file, and every entry the map declares is there",
     "a truncated download; the entries after the cut are missing"},
    {"ttml.length", S::error, R::ttml, false, "no str/bin length or array/map count exceeds the rest of the file",
     "a lying length prefix would make a reader allocate or read past the end"},
    {"ttml.depth", S::error, R::ttml, false, "containers nest at most 32 levels deep",
     "tt-train never nests more than 3; deeper nesting is corruption or an attack on recursive readers"},
    {"ttml.bad_byte", S::error, R::ttml, false, "no value starts with byte 0xc1 (never used by msgpack)",
     "msgpack-c rejects the whole file"},
    {"ttml.top_level", S::error, R::ttml, false, "the file is one msgpack map",
     "tt-train's MsgPackFile reads a map and nothing else"},
    {"ttml.key_type", S::error, R::ttml, false, "every key is a string", "tt-train looks entries up by string path"},
    {"ttml.key_length", S::error, R::ttml, false, "keys are at most 64 KiB", "a key that long is corruption"},
    {"ttml.value_shape", S::error, R::ttml, false,
     "every value is a [variant_index, payload] array (or a msgpack_numpy map)",
     "tt-train unpacks values as std::variant; anything else throws"},
    {"ttml.variant_index", S::error, R::ttml, false, "variant indices are unsigned and in the era's table",
     "an unknown index cannot be unpacked"},
    {"ttml.variant_mismatch", S::error, R::ttml, false,
     "each payload has the msgpack type its variant's C++ type packs to",
     "msgpack-c throws a type error when it unpacks such a value"},
    {"ttml.non_number", S::error, R::ttml, false, "float arrays hold only numbers and integer arrays only integers",
     "tt-train's unpacking throws; ckpt streams such elements as NaN"},
    {"ttml.numel_mismatch", S::error, R::ttml, false, "a tensor's data has as many elements as its shape says",
     "tt-train would reshape garbage or fail"},
    {"ttml.shape", S::error, R::ttml, false, "shapes are rank x uint32 bytes", "the shape cannot be read otherwise"},
    {"ttml.numpy", S::error, R::ttml, false, "msgpack_numpy arrays have a decodable type and an unsigned shape",
     "numpy cannot rebuild the array otherwise"},
    {"ttml.duplicate_key", S::warning, R::ttml, false, "no key appears twice",
     "msgpack-c keeps the last; the earlier value is silently ignored"},
    {"ttml.trailing", S::warning, R::ttml, false, "nothing follows the top-level map",
     "msgpack-c ignores trailing bytes: they are a sign of a botched write or concatenation"},
    {"ttml.tensor_parts", S::warning, R::ttml, false, "every tensor has both its shape and its data",
     "a tensor without a shape cannot be reshaped; a shape without data holds nothing"},
    {"ttml.data_type", S::warning, R::ttml, false, "data_type is 0 (bfloat16), 1 (float32) or 2 (uint32)",
     "tt-train knows no other"},
    {"ttml.too_many_keys", S::error, R::ttml, false, "the file has at most 2^17 (131072) keys",
     "the index stops there so that memory cannot follow a hostile file's size"},
    {"ttml.era", S::info, R::ttml, false,
     "the variant table era is recognised (2024 files are reported, never misread)",
     "the October/November 2024 table numbers variants differently and stores shapes as opaque strings"},
    {"ttml.io", S::error, R::ttml, false, "the file can be read", "a read error leaves the rest unindexed"},

    // Data scan.
    {"data.nonfinite", S::error, R::scan, true, "no fp32 tensor holds NaN or Inf",
     "one non-finite weight spreads to every activation it touches"},
    {"data.zero_matrix", S::warning, R::scan, true, "no weight matrix is entirely zero",
     "an all-zero matrix is an export that lost its weights (or an untrained model)"},
    {"data.rope", S::warning, R::v0, true,
     "v0 freqs_cos / freqs_sin match cos/sin(p * 10000^(-2j/hs)) within 1e-5 (plus fp32 angle rounding)",
     "run.c ignores the tables, but a converter that wrote them wrong (or as zeros) may have more wrong"},
    {"data.bf16", S::info, R::ttml, true, "bfloat16 tensors hold only values bfloat16 can represent (low 16 bits zero)",
     "tt-train widens bfloat16 to fp32; other low bits mean the tensor was not bfloat16 or was altered"},
};

}  // namespace

const std::vector<RuleInfo>& rule_catalogue() {
  static const std::vector<RuleInfo> all = [] {
    std::vector<RuleInfo> rules = kOwnRules;
    for (const FamilyRule& r : family_rules())
      rules.emplace_back(r.id, r.severity, RuleScope::tagged, r.needs_scan, r.what, r.why, r.scope);
    return rules;
  }();
  return all;
}

const RuleInfo* find_rule(std::string_view id) {
  const auto& rules = rule_catalogue();
  auto it = std::find_if(rules.begin(), rules.end(), [&](const RuleInfo& r) { return r.id == id; });
  return it == rules.end() ? nullptr : &*it;
}

std::string_view rule_family(std::string_view id) { return id.substr(0, id.find('.')); }

std::string_view rule_scope_tag(RuleScope scope) {
  switch (scope) {
    case RuleScope::any:
      return "any";
    case RuleScope::checkpoint:
      return "checkpoint";
    case RuleScope::ak42:
      return "ak42";
    case RuleScope::q8:
      return "q8";
    case RuleScope::v2:
      return "v2";
    case RuleScope::v0:
      return "v0";
    case RuleScope::tokenizer:
      return "tokenizer";
    case RuleScope::ttml:
      return "ttml";
    case RuleScope::expect:
      return "expect";
    case RuleScope::manifest:
      return "manifest";
    case RuleScope::scan:
      return "scan";
    case RuleScope::tagged:
      return "tagged";
  }
  return "any";
}

bool rule_covers(const RuleInfo& rule, Format f) {
  return rule.scope == RuleScope::tagged ? f.has_tag(rule.tag) : scope_covers(rule.scope, f);
}

bool scope_covers(RuleScope scope, Format f) {
  // Options decide these three, whatever the format.
  if (scope == RuleScope::any || scope == RuleScope::expect || scope == RuleScope::manifest) return true;
  // The families tag their formats with the scopes that cover them (FormatInfo).
  return f.has_tag(rule_scope_tag(scope));
}

}  // namespace ckpt
