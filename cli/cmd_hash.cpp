// `ckpt hash FILE...`: per-tensor and model hashes, as manifest lines or JSON.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "ckpt/hash.hpp"
#include "ckpt/manifest.hpp"
#include "commands.hpp"
#include "input.hpp"

namespace ckpt::cli {

Outcome run_hash(const HashArgs& a) {
  Outcome out;
  auto algo = parse_hash_algo(a.algo);
  if (!algo) return out.usage_error(fmt::format("unknown --algo '{}' (known: xxh64, xxh3-128, sha256)", a.algo));
  std::optional<Format> forced;
  if (!parse_format_option(a.format, forced, out)) return out;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& path : a.files) {
    auto cp = open_input(path, forced, out);
    if (!cp) continue;  // recorded; the other files are still hashed
    std::optional<uint64_t> vocab;
    if (a.vocab_size > 0) vocab = uint64_t(a.vocab_size);
    auto rep = hash_checkpoint(*cp, *algo, a.values ? HashMode::values : HashMode::stored, 2, vocab);
    if (!rep) {
      out.error(path, rep.error());
      continue;
    }
    if (a.json) {
      nlohmann::json tensors = nlohmann::json::array();
      for (const auto& t : rep->tensors)
        tensors.push_back({{"name", t.name},
                           {"hash", t.hex ? nlohmann::json(*t.hex) : nlohmann::json(nullptr)},
                           {"status", t.status}});
      files.push_back({{"file", path},
                       {"format", format_name(rep->format)},
                       {"algo", hash_algo_name(rep->algo)},
                       {"mode", a.values ? "values" : "stored"},
                       {"model", rep->model_hex.empty() ? nlohmann::json(nullptr) : nlohmann::json(rep->model_hex)},
                       {"tensors", tensors}});
    } else {
      if (a.files.size() > 1) out.text += fmt::format("# file: {}\n", path);
      out.text += manifest_text(*rep);
      for (const auto& t : rep->tensors)
        if (!t.hex) out.warn(fmt::format("{}: {} is {}: not hashed", path, t.name, t.status));
    }
  }
  if (a.json) out.document = nlohmann::json{{"schema", "ckpt.hash/1"}, {"files", files}, {"errors", out.errors_json()}};
  return out;
}

void add_hash_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<HashArgs>();
  auto* sub = app.add_subcommand("hash", "Per-tensor and whole-model hashes, as a manifest for CI");
  sub->add_option("files", args->files, "files to hash")->required();
  sub->add_option("--algo", args->algo, "xxh64 (default), xxh3-128 or sha256");
  sub->add_flag("--values", args->values, "hash fp32 values in canonical order (layout-independent)");
  sub->add_flag("--json", args->json, "print JSON (schema ckpt.hash/1)");
  sub->add_option("--vocab-size", args->vocab_size,
                  "with --values on a tt-train file: hash only the first N rows of the padded embedding/classifier");
  sub->add_option("--format", args->format, "force the input's layout instead of detecting it");
  sub->callback([args, &exit_code] { exit_code = emit(run_hash(*args), args->json, "ckpt.hash/1"); });
}

}  // namespace ckpt::cli
