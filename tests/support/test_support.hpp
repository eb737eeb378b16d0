#pragma once
// Shared helpers for the test suite: deterministic weights (the same formula as
// fixtures/crosscheck_writer.py), in-memory files of any layout, and running the CLI.
#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/checkpoint.hpp"
#include "ckpt/weights.hpp"
#include "llama2c/writer.hpp"

namespace ckpt::test {

// The configs of the committed fixtures.
ModelConfig gqa_config();     // dim 64, hidden 172 (not a multiple of 64), 8 heads, 4 kv heads, shared
ModelConfig untied_config();  // dim 48 (group size backs off to 16), 6 heads, untied classifier

// Deterministic weights for every tensor a config needs (all layouts' tensors, by
// canonical name), from a hash of the tensor name and the element index.
MemoryWeights make_weights(const ModelConfig& c, uint32_t seed = 0);
// One value of that formula (exposed so tests can predict any element).
float weight_value(const std::string& name, uint64_t index, uint32_t seed = 0);

// The bytes of a complete file of format f (config's group size filled in for Q8_0).
std::vector<uint8_t> write_bytes(Format f, ModelConfig c, const WeightSource& w);
std::vector<uint8_t> write_bytes(Format f, const ModelConfig& c);

// Parses bytes held in memory; asserts (via the result) nothing.
Result<Checkpoint> open_bytes(const std::vector<uint8_t>& bytes, OpenOptions opt = {});

// The stored tensor named `name`, or the one holding canonical tensor `name` (a tt-train
// kv_linear holds wk and wv); nullptr when none.
const TensorInfo* tensor_named(const Checkpoint& cp, const std::string& name);
// The canonical names a stored tensor stands for, joined with '+' ("" when only its own).
std::string canonical_of(const Checkpoint& cp, const TensorInfo& t);

// Little-endian patching of test files.
void put_i32(std::vector<uint8_t>& b, uint64_t off, int32_t v);
void put_f32(std::vector<uint8_t>& b, uint64_t off, float v);

// Files on disk for CLI tests: a fresh temporary folder per test process.
std::string temp_dir();
std::string write_temp(const std::string& name, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> read_file(const std::string& path);

struct RunResult {
  int exit_code;
  std::string out, err;
};
// Runs the built ckpt binary with these arguments (no shell involved).
RunResult run_ckpt(const std::vector<std::string>& args);

// Path of the real files shared beside the project, empty when the folder is absent.
std::string real_file(const std::string& name);
std::string fixture_path(const std::string& name);

}  // namespace ckpt::test
