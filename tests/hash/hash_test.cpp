// `ckpt hash`: digests of stored bytes and of values, manifests, and the CLI.
#include "ckpt/hash.hpp"

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <xxhash.h>

#include <cstdio>

#include "ckpt/manifest.hpp"
#include "llama2c/formats.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

HashReport hash_bytes(const std::vector<uint8_t>& b, HashAlgo algo, HashMode mode) {
  MemorySource src(b);
  auto cp = open_checkpoint(src);
  EXPECT_TRUE(cp);
  auto r = hash_checkpoint(*cp, algo, mode);
  EXPECT_TRUE(r);
  return *r;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

TEST(Hash, StoredDigestsCoverExactlyTheTensorBytes) {
  const auto b = test::read_file(test::fixture_path("gqa-ak42-v2-q8_0.bin"));
  auto cp = test::open_bytes(b);
  const auto rep = hash_bytes(b, HashAlgo::xxh64, HashMode::stored);
  EXPECT_EQ(rep.model_hex, hex64(XXH64(b.data(), b.size(), 0)));
  ASSERT_EQ(rep.tensors.size(), cp->tensors.size());
  // Canonical order: tok_embeddings first, then layer 0's attention_norm, wq, ...
  EXPECT_EQ(rep.tensors[0].name, "tok_embeddings.weight");
  EXPECT_EQ(rep.tensors[1].name, "layers.0.attention_norm.weight");
  EXPECT_EQ(rep.tensors[2].name, "layers.0.attention.wq.weight");
  EXPECT_EQ(rep.tensors.back().name, "norm.weight");
  const TensorInfo* emb = test::tensor_named(*cp, "tok_embeddings.weight");
  std::vector<uint8_t> bytes(b.begin() + int64_t(emb->place.offset),
                             b.begin() + int64_t(emb->place.offset + emb->place.nbytes));
  bytes.insert(bytes.end(), b.begin() + int64_t(emb->place.scale_offset),
               b.begin() + int64_t(emb->place.scale_offset + emb->place.scale_nbytes));
  EXPECT_EQ(*rep.tensors[0].hex, hex64(XXH64(bytes.data(), bytes.size(), 0)));
}

TEST(Hash, Sha256AndXxh3MatchOneShotDigests) {
  const auto b = test::read_file(test::fixture_path("untied-llama2c-v0.bin"));
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(b.data(), b.size(), d);
  std::string expect;
  for (unsigned char c : d) expect += hex64(c).substr(14);
  EXPECT_EQ(hash_bytes(b, HashAlgo::sha256, HashMode::stored).model_hex, expect);
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(b.data(), b.size()));
  std::string x;
  for (unsigned char ch : c.digest) x += hex64(ch).substr(14);
  EXPECT_EQ(hash_bytes(b, HashAlgo::xxh3_128, HashMode::stored).model_hex, x);
}

TEST(Hash, ValuesAreLayoutIndependent) {
  for (const std::string label : {"gqa", "untied"}) {
    const auto v0 =
        hash_bytes(test::read_file(test::fixture_path(label + "-llama2c-v0.bin")), HashAlgo::xxh64, HashMode::values);
    const auto v1 =
        hash_bytes(test::read_file(test::fixture_path(label + "-ak42-v1-fp32.bin")), HashAlgo::xxh64, HashMode::values);
    EXPECT_EQ(v0.model_hex, v1.model_hex) << label;
    // v0 lists its RoPE tables on top of the shared tensors.
    std::map<std::string, std::string> a, c;
    for (const auto& t : v0.tensors) a[t.name] = *t.hex;
    for (const auto& t : v1.tensors) c[t.name] = *t.hex;
    for (const auto& [name, hex] : c) EXPECT_EQ(a[name], hex) << name;
    EXPECT_EQ(a.size(), c.size() + 2);
    // Stored bytes differ between the two files (different headers and order).
    EXPECT_NE(
        hash_bytes(test::read_file(test::fixture_path(label + "-llama2c-v0.bin")), HashAlgo::xxh64, HashMode::stored)
            .model_hex,
        hash_bytes(test::read_file(test::fixture_path(label + "-ak42-v1-fp32.bin")), HashAlgo::xxh64, HashMode::stored)
            .model_hex);
    const auto qi =
        hash_bytes(test::read_file(test::fixture_path(label + "-ak42-v2-q8_0.bin")), HashAlgo::xxh64, HashMode::values);
    const auto ql = hash_bytes(test::read_file(test::fixture_path(label + "-ak42-v2-q8_0-scales-last.bin")),
                               HashAlgo::xxh64, HashMode::values);
    EXPECT_EQ(qi.model_hex, ql.model_hex);
    EXPECT_NE(qi.model_hex, v1.model_hex);  // dequantized values are not the originals
  }
}

TEST(Hash, TruncatedTensorsAreNotHashed) {
  auto b = test::read_file(test::fixture_path("gqa-ak42-v1-fp32.bin"));
  b.resize(b.size() - 100);
  const auto rep = hash_bytes(b, HashAlgo::xxh64, HashMode::values);
  EXPECT_TRUE(rep.model_hex.empty());
  const auto& last = rep.tensors[rep.tensors.size() - 2];  // layers.1.feed_forward.w3 sorts before norm
  EXPECT_EQ(last.name, "layers.1.feed_forward.w3.weight");
  EXPECT_FALSE(last.hex);
  EXPECT_EQ(last.status, "truncated");
}

TEST(Manifest, RoundTripAndOneChangedTensorGiveExactlyOneMismatch) {
  auto b = test::read_file(test::fixture_path("gqa-ak42-v1-fp32.bin"));
  const auto rep = hash_bytes(b, HashAlgo::xxh64, HashMode::values);
  auto m = parse_manifest(manifest_text(rep));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mode, HashMode::values);
  for (const auto& c : check_manifest(rep, *m)) EXPECT_EQ(c.status, ManifestStatus::ok) << c.name;
  auto cp = test::open_bytes(b);
  test::put_f32(b, test::tensor_named(*cp, "layers.1.attention.wv.weight")->place.offset + 40, 9.0f);
  int mismatches = 0;
  for (const auto& c : check_manifest(hash_bytes(b, HashAlgo::xxh64, HashMode::values), *m)) {
    if (c.status != ManifestStatus::mismatch) continue;
    ++mismatches;
    EXPECT_TRUE(c.name == "layers.1.attention.wv.weight" || c.name == "*") << c.name;
  }
  EXPECT_EQ(mismatches, 2);  // the tensor and the model line
}

// A msgpack key may hold a newline; in a manifest it would end the line and turn the rest
// of the name into a line of its own.
TEST(Manifest, NamesWithLineBreaksAndBackslashesRoundTrip) {
  HashReport r;
  r.algo = HashAlgo::xxh64;
  r.tensors.push_back({"opt/a\nxxh64 0000 fake", std::string("01"), "complete"});
  r.tensors.push_back({"b\\n\r", std::string("02"), "complete"});
  r.tensors.push_back({"plain name", std::string("03"), "complete"});
  const std::string text = manifest_text(r);
  EXPECT_EQ(text,
            "# ckpt hash manifest\n# mode: stored\nxxh64 01 opt/a\\nxxh64 0000 fake\nxxh64 02 b\\\\n\\r\n"
            "xxh64 03 plain name\n");
  auto m = parse_manifest(text);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->tensors.size(), 3u);
  EXPECT_EQ(m->tensors.at("opt/a\nxxh64 0000 fake"), "01");
  EXPECT_EQ(m->tensors.at("b\\n\r"), "02");
  for (const auto& c : check_manifest(r, *m)) EXPECT_EQ(c.status, ManifestStatus::ok) << c.name;
  EXPECT_EQ(parse_manifest("xxh64 00 bad\\x\n").error().code, ErrorCode::manifest_syntax);
}

TEST(Manifest, MissingUnexpectedAndSyntax) {
  Manifest m;
  m.tensors["a"] = "00";
  HashReport r;
  r.tensors.push_back({"b", std::string("11"), "complete"});
  auto checks = check_manifest(r, m);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].status, ManifestStatus::unexpected);
  EXPECT_EQ(checks[1].status, ManifestStatus::missing);
  EXPECT_EQ(parse_manifest("xxh64 zz name\n").error().code, ErrorCode::manifest_syntax);
  EXPECT_NE(parse_manifest("# c\nxxh64 00 a\nsha256 00 b\n").error().message.find("line 3"), std::string::npos);
  EXPECT_FALSE(parse_manifest("xxh64 00 a\nxxh64 01 a\n"));
}

TEST(HashCli, ModelLineEqualsSha256sum) {
  const std::string f = test::fixture_path("gqa-llama2c-v0.bin");
  auto r = test::run_ckpt({"hash", "--algo", "sha256", f});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  FILE* p = ::popen(("sha256sum " + f).c_str(), "r");
  char buf[65] = {};
  ASSERT_EQ(std::fread(buf, 1, 64, p), 64u);
  ::pclose(p);
  EXPECT_NE(r.out.find(std::string("sha256 ") + buf + " *\n"), std::string::npos) << r.out;
  auto j = test::run_ckpt({"hash", "--json", "--values", f});
  EXPECT_EQ(j.exit_code, 0);
  EXPECT_NE(j.out.find("\"mode\": \"values\""), std::string::npos);
  EXPECT_EQ(test::run_ckpt({"hash", "--algo", "md5", f}).exit_code, 2);
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// --values hashes a tt-train file through its canonical views (kv_linear as wk and wv),
// so the same weights hash the same as in llama2.c layouts; --vocab-size drops the
// padding rows tt-train adds to the embedding and classifier.
TEST(HashCli, ValuesOfATtTrainFileEqualThoseOfItsV0Source) {
  ModelConfig c = test::untied_config();
  c.vocab_size = 100;  // padded to 128 in tt-train
  const std::string v0 = test::write_temp("hash-v0.bin", test::write_bytes(llama2c::v0, c));
  const std::string mp = test::temp_dir() + "/hash.msgpack";
  ASSERT_EQ(test::run_ckpt({"convert", v0, mp, "--to", "ttml-msgpack"}).exit_code, 0);
  auto a = test::run_ckpt({"hash", "--values", v0});
  auto b = test::run_ckpt({"hash", "--values", "--vocab-size", "100", mp});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::string expected;
  for (size_t p = 0, q; p < a.out.size(); p = q + 1) {  // v0 lists its RoPE tables as well
    q = a.out.find('\n', p);
    const std::string line = a.out.substr(p, q - p + 1);
    if (line.find("freqs_") == std::string::npos) expected += line;
  }
  EXPECT_EQ(b.out, expected);
  // Without --vocab-size the padded rows are hashed too: the embedding differs.
  auto padded = test::run_ckpt({"hash", "--values", mp});
  EXPECT_NE(padded.out, expected);
  EXPECT_NE(padded.out.find("layers.0.attention.wk.weight"), std::string::npos);
}

}  // namespace
}  // namespace ckpt
