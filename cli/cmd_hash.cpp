// `ckpt hash FILE...`: per-tensor and model hashes, as manifest lines or JSON.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "ckpt/hash.hpp"
#include "ckpt/manifest.hpp"
#include "commands.hpp"
#include "input.hpp"

namespace ckpt::cli {

namespace {

struct HashArgs {
  std::vector<std::string> files;
  std::string algo = "xxh64", format;
  bool values = false, json = false;
  int64_t vocab_size = 0;
};

int run_hash(const HashArgs& a) {
  auto algo = parse_hash_algo(a.algo);
  if (!algo) {
    print_error_line(fmt::format("unknown --algo '{}' (known: xxh64, xxh3-128, sha256)", a.algo));
    return kExitCannotRun;
  }
  std::optional<Format> forced;
  if (!parse_format_option(a.format, forced)) return kExitCannotRun;
  nlohmann::json files = nlohmann::json::array();
  int code = kExitOk;
  for (const auto& path : a.files) {
    auto in = open_input(path, forced);
    if (!in) {
      code = kExitCannotRun;
      continue;
    }
    std::optional<uint64_t> vocab;
    if (a.vocab_size > 0) vocab = uint64_t(a.vocab_size);
    auto rep = hash_checkpoint(in->cp, *algo, a.values ? HashMode::values : HashMode::stored, 2, vocab);
    if (!rep) {
      print_error(path, rep.error());
      code = kExitCannotRun;
      continue;
    }
    if (a.json) {
      nlohmann::json tensors = nlohmann::json::array();
      for (const auto& t : rep->tensors)
        tensors.push_back({{"name", t.name}, {"hash", t.hex ? nlohmann::json(*t.hex) : nlohmann::json(nullptr)},
                           {"status", t.status}});
      files.push_back({{"file", path},
                       {"format", format_name(rep->format)},
                       {"algo", hash_algo_name(rep->algo)},
                       {"mode", a.values ? "values" : "stored"},
                       {"model", rep->model_hex.empty() ? nlohmann::json(nullptr) : nlohmann::json(rep->model_hex)},
                       {"tensors", tensors}});
    } else {
      if (a.files.size() > 1) fmt::print("# file: {}\n", path);
      fmt::print("{}", manifest_text(*rep));
      for (const auto& t : rep->tensors)
        if (!t.hex) print_error_line(fmt::format("{}: {} is {}: not hashed", path, t.name, t.status));
    }
  }
  if (a.json) print_json(nlohmann::json{{"schema", "ckpt.hash/1"}, {"files", files}, {"errors", recorded_errors()}});
  return code;
}

}  // namespace

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
  sub->callback([args, &exit_code] {
    exit_code = run_hash(*args);
    if (args->json) finish_json("ckpt.hash/1");
  });
}

}  // namespace ckpt::cli
