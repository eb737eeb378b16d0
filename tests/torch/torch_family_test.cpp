// The torch family as every command sees it: train.py checkpoints (zip and legacy) and
// Meta folders opened with canonical names, diffed equal against the files llama2.c's
// export.py made from them, one changed weight named to its element, the folder rules
// (meta.*) broken one at a time, zip CRC-32 checked by validate's scan, bare pickles
// judged, and opening that reads the directory and pickle only.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "ckpt/checkpoint.hpp"
#include "ckpt/validate.hpp"
#include "ckpt/views.hpp"
#include "folder_fixtures.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

namespace fs = std::filesystem;

std::string torch_fixture(const std::string& rel) { return std::string(CKPT_SOURCE_DIR) + "/fixtures/torch/" + rel; }

nlohmann::json run_json(const std::vector<std::string>& args, int* code = nullptr) {
  auto r = test::run_ckpt(args);
  if (code) *code = r.exit_code;
  return nlohmann::json::parse(r.out, nullptr, false);
}

std::vector<nlohmann::json> findings_of(const std::string& path, int* code = nullptr) {
  return test::validate_findings(path, code);
}

const nlohmann::json* find_rule(const std::vector<nlohmann::json>& fs, const std::string& rule) {
  for (const auto& f : fs)
    if (f["rule"] == rule) return &f;
  return nullptr;
}

using test::copy_folder;
using test::read_text;
using test::write_text;

TEST(TorchFamily, TrainCheckpointHasCanonicalWeightsAndItsConfig) {
  auto cp = open_path(torch_fixture("train/ckpt_tied.pt"));
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp->format.name(), "torch-zip");
  ASSERT_TRUE(cp->config);
  EXPECT_EQ(cp->config->dim, 32);
  EXPECT_EQ(cp->config->n_layers, 2);
  EXPECT_EQ(cp->config->n_heads, 4);
  EXPECT_EQ(cp->config->n_kv_heads, 2);
  EXPECT_EQ(cp->config->vocab_size, 96);
  EXPECT_EQ(cp->config->hidden_dim, 96);
  EXPECT_TRUE(cp->config->shared_classifier);
  const auto views = canonical_views(*cp);
  size_t canonical = 0;
  for (const auto& v : views) canonical += v.canonical;
  // tok_embeddings, 9 per layer, norm, and output.weight: the state_dict holds both tied
  // names (one storage).
  EXPECT_EQ(canonical, 1u + 2 * 9 + 1 + 1);
  const auto* out = find_view(views, "output.weight");
  const auto* emb = find_view(views, "tok_embeddings.weight");
  ASSERT_TRUE(out && emb);
  EXPECT_EQ(cp->tensors[out->tensor].place.offset, cp->tensors[emb->tensor].place.offset);
  const auto* wq = find_view(views, "layers.1.attention.wq.weight");
  ASSERT_NE(wq, nullptr);
  EXPECT_EQ(cp->tensors[wq->tensor].spec.name, "model/layers.1.attention.wq.weight");
  EXPECT_EQ(wq->shape, (std::vector<uint64_t>{32, 32}));
}

TEST(TorchFamily, OpeningReadsTheDirectoryAndPicklesNotTheData) {
  const auto bytes = test::read_file(torch_fixture("train/ckpt_tied.pt"));
  MemorySource src(bytes);
  auto cp = open_checkpoint(src);
  ASSERT_TRUE(cp);
  uint64_t data = 0;
  for (const auto& t : cp->tensors) data += t.place.nbytes;
  EXPECT_GT(data, 300000u);
  // Detection probes, the end record, the central directory and every local header
  // (84 members), data.pkl, version and the first bytes of each member (other pickles):
  // 43 KB against 354 KB of tensor data.
  EXPECT_LT(src.bytes_read(), 48000u) << src.bytes_read();
}

TEST(TorchFamily, EverySourceDiffsEqualToItsExportPyOutput) {
  const std::pair<const char*, const char*> pairs[] = {
      {"train/ckpt_tied.pt", "expected/ckpt_tied.v0.bin"},
      {"train/ckpt_legacy.pt", "expected/ckpt_tied.v1.bin"},
      {"meta/llama-2-tiny", "expected/meta.v0.bin"},
      {"meta/llama-2-tiny", "expected/meta.v1.bin"},
      {"hf/f32-safetensors-mha-tied", "expected/hf_mha_tied.v0.bin"},
  };
  for (const auto& [src, out] : pairs) {
    int code = -1;
    auto j = run_json({"diff", torch_fixture(src), torch_fixture(out), "--json"}, &code);
    EXPECT_EQ(code, 0) << src << " vs " << out;
    ASSERT_FALSE(j.is_discarded()) << src;
    EXPECT_TRUE(j["equal"].get<bool>()) << src << " vs " << out << "\n" << j.dump(1).substr(0, 2000);
  }
}

TEST(TorchFamily, OneChangedWeightIsNamedToItsElement) {
  auto bytes = test::read_file(torch_fixture("expected/ckpt_tied.v0.bin"));
  auto cp = test::open_bytes(bytes);
  ASSERT_TRUE(cp);
  const TensorInfo* wk = test::tensor_named(*cp, "layers.1.attention.wk.weight");
  ASSERT_NE(wk, nullptr);
  const uint64_t element = 3 * 32 + 7;  // row 3, column 7
  test::put_f32(bytes, wk->place.offset + 4 * element, 0.5f);
  const std::string changed = test::write_temp("ckpt_tied_changed.bin", bytes);
  int code = -1;
  auto j = run_json({"diff", torch_fixture("train/ckpt_tied.pt"), changed, "--json"}, &code);
  EXPECT_EQ(code, 1);
  ASSERT_FALSE(j.is_discarded());
  int differing = 0;
  for (const auto& t : j["tensors"]) {
    if (t["status"] != "differs") continue;
    ++differing;
    EXPECT_EQ(t["name"], "layers.1.attention.wk.weight");
    EXPECT_EQ(t["max_abs"]["index"], nlohmann::json::array({3, 7})) << t.dump();
    EXPECT_EQ(t["max_abs"]["b"].get<double>(), 0.5);
  }
  EXPECT_EQ(differing, 1);
}

TEST(TorchFamily, MetaShardsAreJoinedAlongMetasAxes) {
  auto cp = open_path(torch_fixture("meta/llama-2-tiny"));
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->format.name(), "meta-llama");
  EXPECT_EQ(cp->file_count, 2u);
  const auto views = canonical_views(*cp);
  const auto* emb = find_view(views, "tok_embeddings.weight");        // columns split
  const auto* wq = find_view(views, "layers.0.attention.wq.weight");  // rows split
  const auto* norm = find_view(views, "norm.weight");                 // replicated
  ASSERT_TRUE(emb && wq && norm);
  EXPECT_EQ(emb->shape, (std::vector<uint64_t>{64, 32}));
  EXPECT_EQ(emb->shard_axis, 1);
  EXPECT_EQ(wq->shape, (std::vector<uint64_t>{32, 32}));
  EXPECT_EQ(wq->shard_axis, 0);
  EXPECT_TRUE(norm->shards.empty());
  ASSERT_TRUE(cp->config);
  EXPECT_EQ(cp->config->hidden_dim, 112);
  EXPECT_EQ(cp->config->seq_len, 0);  // not stored: the diff skips it, convert defaults it
  EXPECT_FALSE(cp->config->shared_classifier);
}

TEST(TorchFamily, ParamsJsonContradictingTheTensorsIsMetaParams) {
  const std::string dir = copy_folder(torch_fixture("meta/llama-2-tiny"), "meta-params");
  std::string params = read_text(dir + "/params.json");
  params.replace(params.find("\"n_layers\": 2"), 13, "\"n_layers\": 3");
  params.replace(params.find("\"dim\": 32"), 9, "\"dim\": 48");
  write_text(dir + "/params.json", params);
  int code = -1;
  auto fs = findings_of(dir, &code);
  EXPECT_EQ(code, 1);
  int seen = 0;
  for (const auto& f : fs) {
    if (f["rule"] != "meta.params") continue;
    ++seen;
    const std::string field = f["field"].is_string() ? f["field"].get<std::string>() : "";
    EXPECT_TRUE(field == "dim" || field == "n_layers") << f.dump();
  }
  EXPECT_EQ(seen, 2);
  // A folder whose params.json is not an object.
  write_text(dir + "/params.json", "[1, 2]");
  fs = findings_of(dir, &code);
  ASSERT_NE(find_rule(fs, "meta.params"), nullptr);
  EXPECT_NE(find_rule(fs, "meta.params")->dump().find("not a JSON object"), std::string::npos);
  // convert refuses the folder and writes nothing.
  const std::string out = test::temp_dir() + "/meta-params.bin";
  fs::remove(out);
  auto r = test::run_ckpt({"convert", dir, out, "--to", "llama2c-v0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("meta.params"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(TorchFamily, AShardWithOtherKeysIsMetaShardKeys) {
  const std::string dir = copy_folder(torch_fixture("meta/llama-2-tiny"), "meta-keys");
  // The second shard replaced by a torch.save file of other names (a Hugging Face one).
  fs::copy_file(torch_fixture("hf/f32-bin/pytorch_model.bin"), dir + "/consolidated.01.pth",
                fs::copy_options::overwrite_existing);
  int code = -1;
  auto fs = findings_of(dir, &code);
  EXPECT_EQ(code, 1);
  const auto* f = find_rule(fs, "meta.shard_keys");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->dump().find("is in 1 of the 2 shards"), std::string::npos) << f->dump();
}

TEST(TorchFamily, AShardOfAnotherShapeIsMetaShardShape) {
  const std::string dir = copy_folder(torch_fixture("meta/llama-2-tiny"), "meta-shape");
  // In shard 01's data.pkl (a stored member), norm.weight's size (32,) becomes (16,):
  // BININT1 32, TUPLE1 after the key's last mention.
  auto bytes = test::read_file(dir + "/consolidated.01.pth");
  const std::string key = "norm.weight";
  std::string text(bytes.begin(), bytes.end());
  size_t at = std::string::npos;
  for (size_t p = text.find(key); p != std::string::npos; p = text.find(key, p + 1))
    if (p == 0 || text[p - 1] != '_') at = p;  // the top-level "norm.weight", not "*_norm.weight"
  ASSERT_NE(at, std::string::npos);
  const size_t shape = text.find(std::string("K\x20\x85", 3), at);
  ASSERT_NE(shape, std::string::npos);
  bytes[shape + 1] = 16;
  FILE* out = std::fopen((dir + "/consolidated.01.pth").c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), out);
  std::fclose(out);
  int code = -1;
  auto fs = findings_of(dir, &code);
  EXPECT_EQ(code, 1);
  const auto* f = find_rule(fs, "meta.shard_shape");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->dump().find("norm.weight: consolidated.01/norm.weight has another shape"), std::string::npos)
      << f->dump();
}

TEST(TorchFamily, AnUnreadableShardIsTorchUnreadable) {
  const std::string dir = copy_folder(torch_fixture("meta/llama-2-tiny"), "meta-unreadable");
  write_text(dir + "/consolidated.01.pth", "PK\x03\x04 not a zip");
  int code = -1;
  auto fs = findings_of(dir, &code);
  EXPECT_EQ(code, 1);
  bool named = false;
  for (const auto& f : fs) named |= f["message"].get<std::string>().rfind("consolidated.01.pth: ", 0) == 0;
  EXPECT_TRUE(named);
}

TEST(TorchFamily, ValidateChecksEveryZipMembersCrc) {
  auto bytes = test::read_file(torch_fixture("train/ckpt_tied.pt"));
  auto cp = test::open_bytes(bytes);
  ASSERT_TRUE(cp);
  const TensorInfo* wq = test::tensor_named(*cp, "model/layers.0.attention.wq.weight");
  ASSERT_NE(wq, nullptr);
  bytes[wq->place.offset + 84] ^= 0x01;  // one bit of one stored weight
  const std::string path = test::write_temp("crc.pt", bytes);
  int code = -1;
  auto fs = findings_of(path, &code);
  EXPECT_EQ(code, 1);
  const auto* f = find_rule(fs, "zip.crc_mismatch");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["offset"].get<uint64_t>(), wq->place.offset);  // the member's data
  // Structure only: the CRC needs the data pass.
  auto j = run_json({"validate", path, "--json", "--no-scan"}, &code);
  EXPECT_EQ(code, 0);
  // The pristine file passes.
  EXPECT_EQ(find_rule(findings_of(torch_fixture("train/ckpt_tied.pt")), "zip.crc_mismatch"), nullptr);
}

TEST(TorchFamily, TrainPyCausalMaskIsNotNonFinite) {
  int code = -1;
  auto fs = findings_of(torch_fixture("train/ckpt_tied.pt"), &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(find_rule(fs, "data.nonfinite"), nullptr);
}

TEST(TorchFamily, BarePicklesAreJudgedNeverRun) {
  int code = -1;
  auto fs = findings_of(torch_fixture("hostile/global_os_system.pkl"), &code);
  EXPECT_EQ(code, 1);
  const auto* f = find_rule(fs, "security.dangerous_global");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["offset"].get<uint64_t>(), 2u);
  EXPECT_NE((*f)["message"].get<std::string>().find("os.system"), std::string::npos);
  // A protocol-0 pickle (no PROTO) is found by reading it to its STOP.
  fs = findings_of(torch_fixture("hostile/inst_os_system.pkl"), &code);
  EXPECT_EQ(code, 1);
  ASSERT_NE(find_rule(fs, "security.dangerous_global"), nullptr);
  EXPECT_EQ((*find_rule(fs, "security.dangerous_global"))["offset"].get<uint64_t>(), 41u);
  // EXT codes name whatever the loader registered: refused.
  fs = findings_of(torch_fixture("hostile/ext1.pkl"), &code);
  EXPECT_EQ(code, 1);
  ASSERT_NE(find_rule(fs, "security.dangerous_global"), nullptr);
  // An unknown global is a warning.
  fs = findings_of(torch_fixture("hostile/unknown_global_mylib_config.pkl"), &code);
  EXPECT_EQ(code, 0);
  ASSERT_NE(find_rule(fs, "security.unknown_global"), nullptr);
  EXPECT_EQ((*find_rule(fs, "security.unknown_global"))["offset"].get<uint64_t>(), 30u);
}

TEST(TorchFamily, GenuineCheckpointsHaveNoSecurityFinding) {
  for (const char* f : {"train/ckpt_tied.pt", "train/ckpt_legacy.pt", "train/ckpt_untied_compiled.pt",
                        "meta/llama-2-tiny", "hf/f32-bin", "hf/bf16-bin-sharded"})
    for (const auto& x : findings_of(torch_fixture(f)))
      EXPECT_NE(x["rule"].get<std::string>().rfind("security.", 0), 0u) << f << ": " << x.dump();
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// hash --values covers the model's weights only: a training checkpoint, a Meta folder and
// a Hugging Face folder hash like the llama2.c files exported from them.
TEST(TorchFamily, ValuesHashEqualsTheExportedFiles) {
  auto last_line = [](const std::string& path) {
    auto r = test::run_ckpt({"hash", "--values", path});
    EXPECT_EQ(r.exit_code, 0) << path << r.err;
    const size_t end = r.out.find_last_not_of('\n');
    return r.out.substr(r.out.rfind('\n', end) + 1);
  };
  EXPECT_EQ(last_line(torch_fixture("train/ckpt_tied.pt")), last_line(torch_fixture("expected/ckpt_tied.v1.bin")));
  EXPECT_EQ(last_line(torch_fixture("meta/llama-2-tiny")), last_line(torch_fixture("expected/meta.v0.bin")));
  EXPECT_EQ(last_line(torch_fixture("hf/bf16-bin-sharded")), last_line(torch_fixture("expected/meta.v0.bin")));
  EXPECT_NE(last_line(torch_fixture("meta/llama-2-tiny")), last_line(torch_fixture("expected/ckpt_tied.v1.bin")));
}

}  // namespace
}  // namespace ckpt
