// Genuine torch.save outputs (committed, made by data/make_torch_fixtures.py with torch
// 1.13): tensors, key paths, shared storages, the storage table, element values, and no
// security finding at all.
#include "torch_checkpoint.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <map>

#include "element_decode.hpp"
#include "legacy_torch.hpp"
#include "pickle_builder.hpp"
#include "test_util.hpp"
#include "zip_builder.hpp"
#include "zip_member.hpp"

namespace ckpt::torch {
namespace {

const TorchTensor* tensor(const TorchModel& m, const std::string& path) {
  for (const auto& t : m.tensors)
    if (t.path == path) return &t;
  return nullptr;
}

// Every value of a tensor, through the storage's bytes (in place or via its member).
std::vector<float> values(const ByteSource& file, const TorchZipCheckpoint& c, const TorchTensor& t) {
  std::vector<float> out;
  for (const auto& s : c.storages) {
    if (s.key != t.storage_key) continue;
    std::unique_ptr<ByteSource> member;
    StorageBytes sb{&file, s.data_offset, s.nbytes};
    if (!s.in_place) {
      auto m = open_member(file, c.zip.entries[size_t(s.zip_entry)]);
      EXPECT_TRUE(m.ok());
      member = std::move(*m);
      sb = StorageBytes{member.get(), 0, s.nbytes};
    }
    auto n = gather_f32(
        sb, t.dtype, t.shape, t.stride, t.storage_offset,
        [&](const float* v, size_t k) {
          out.insert(out.end(), v, v + k);
          return true;
        },
        5);
    EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message);
  }
  return out;
}

TorchZipCheckpoint read_fixture(const std::vector<uint8_t>& bytes) {
  MemorySource src(bytes);
  auto c = read_torch_zip(src);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().cause + " " + c.error().message);
  return c.ok() ? std::move(*c) : TorchZipCheckpoint{};
}

TEST(TorchCheckpoint, TinyStateDictTiedWeightsShareOneStorage) {
  auto bytes = test::load("tiny_state_dict.pt");
  MemorySource src(bytes);
  auto c = read_fixture(bytes);
  EXPECT_TRUE(c.pickle.complete);
  EXPECT_EQ(c.prefix, "tiny_state_dict");
  EXPECT_EQ(c.version, "3");
  EXPECT_TRUE(c.pickle.findings.empty()) << test::rules_of(c.pickle.findings);
  EXPECT_TRUE(c.model.findings.empty()) << test::rules_of(c.model.findings);
  EXPECT_TRUE(c.findings.empty()) << test::rules_of(c.findings);
  EXPECT_EQ(c.model.root_kind, "dict");
  ASSERT_EQ(c.model.tensors.size(), 5u);
  const TorchTensor* emb = tensor(c.model, "tok_embeddings.weight");
  const TorchTensor* out = tensor(c.model, "output.weight");
  ASSERT_TRUE(emb && out);
  EXPECT_EQ(emb->storage_key, out->storage_key);
  EXPECT_EQ(emb->shape, (std::vector<uint64_t>{16, 8}));
  EXPECT_EQ(emb->stride, (std::vector<uint64_t>{8, 1}));
  EXPECT_EQ(emb->dtype, TorchDType::f32);
  EXPECT_TRUE(emb->parameter);
  EXPECT_TRUE(emb->requires_grad);
  EXPECT_EQ(c.model.storages.size(), 4u);
  const TorchStorage* s = c.model.storage(emb->storage_key);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->numel, 128u);
  EXPECT_EQ(s->location, "cpu");
  EXPECT_EQ(s->storage_class, "torch.FloatStorage");
  EXPECT_EQ(values(src, c, *emb), values(src, c, *out));
}

TEST(TorchCheckpoint, DtypesViewsAndValues) {
  auto bytes = test::load("views.pt");
  MemorySource src(bytes);
  auto c = read_fixture(bytes);
  EXPECT_EQ(test::count_prefix(c.pickle.findings, "security."), 0u);
  EXPECT_TRUE(c.model.findings.empty()) << test::rules_of(c.model.findings);
  std::map<std::string, std::vector<float>> expect = {
      {"f16", {0, 0.25f, 0.5f, 0.75f, 1, 1.25f}},
      {"bf16", {-2, -1, 0, 1, 2, 3}},
      {"i64", {0, 3, 6, 9, 12}},
      {"row2", {12, 13, 14, 15, 16, 17}},
      {"scalar", {2.5f}},
  };
  for (const auto& [name, want] : expect) {
    const TorchTensor* t = tensor(c.model, name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(values(src, c, *t), want) << name;
  }
  const TorchTensor* tr = tensor(c.model, "transposed");
  const TorchTensor* base = tensor(c.model, "base");
  ASSERT_TRUE(tr && base);
  EXPECT_EQ(tr->storage_key, base->storage_key);
  EXPECT_EQ(tr->stride, (std::vector<uint64_t>{1, 6}));
  EXPECT_FALSE(tr->contiguous());
  std::vector<float> t_expect;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 4; ++j) t_expect.push_back(float(j * 6 + i));
  EXPECT_EQ(values(src, c, *tr), t_expect);
  EXPECT_EQ(tensor(c.model, "row2")->storage_offset, 12u);
  EXPECT_TRUE(tensor(c.model, "scalar")->shape.empty());
  EXPECT_EQ(tensor(c.model, "bf16")->dtype, TorchDType::bf16);
}

TEST(TorchCheckpoint, TrainCheckpointTreeAndOptimizerState) {
  auto bytes = test::load("train_checkpoint.pt");
  auto c = read_fixture(bytes);
  EXPECT_TRUE(c.pickle.findings.empty()) << test::rules_of(c.pickle.findings);
  EXPECT_TRUE(c.findings.empty()) << test::rules_of(c.findings);
  EXPECT_EQ(c.model.root_kind, "dict");
  EXPECT_NE(tensor(c.model, "model/weight"), nullptr);
  EXPECT_NE(tensor(c.model, "optimizer/state/0/exp_avg"), nullptr);
  EXPECT_NE(tensor(c.model, "optimizer/state/1/exp_avg_sq"), nullptr);
  std::map<std::string, TreeEntry> tree;
  for (const auto& e : c.model.tree) tree[e.path] = e;
  EXPECT_EQ(tree["iter_num"].kind, "int");
  EXPECT_EQ(tree["iter_num"].value, "5");
  EXPECT_EQ(tree["model_args"].kind, "dict");
  EXPECT_EQ(tree["model_args"].count, 5u);
  EXPECT_EQ(tree["model_args/dim"].value, "4");
  EXPECT_EQ(tree["model_args/norm_eps"].value, "1e-05");
  EXPECT_EQ(tree["config/dataset"].value, "'tinystories'");
  EXPECT_EQ(tree["best_val_loss"].kind, "tensor");
  EXPECT_EQ(tree["best_val_loss"].value, "float32[]");
  EXPECT_EQ(tree["model"].kind, "OrderedDict");
  EXPECT_EQ(tree["model"].tensors, 2u);
  EXPECT_EQ(tree["optimizer"].tensors, 6u);  // exp_avg, exp_avg_sq, step per parameter (torch 1.13)
}

TEST(TorchCheckpoint, NumpyValuesAreSafe) {
  auto c = read_fixture(test::load("numpy_values.pt"));
  EXPECT_EQ(test::count_prefix(c.pickle.findings, "security."), 0u) << test::rules_of(c.pickle.findings);
  bool found = false;
  for (const auto& e : c.model.tree)
    if (e.path == "np_array") found = e.kind == "object:numpy.core.multiarray._reconstruct";
  EXPECT_TRUE(found);
  EXPECT_EQ(c.model.tensors.size(), 1u);
}

TEST(TorchCheckpoint, DeflatedArchiveReadsThroughMembers) {
  auto zipped = test::load("tiny_state_dict.pt");
  auto deflated = test::load("tiny_state_dict_deflated.pt");
  MemorySource zsrc(zipped), dsrc(deflated);
  auto a = read_fixture(zipped);
  auto b = read_fixture(deflated);
  EXPECT_TRUE(a.pickle_in_place);
  EXPECT_FALSE(b.pickle_in_place);
  EXPECT_TRUE(b.findings.empty()) << test::rules_of(b.findings);
  ASSERT_EQ(a.model.tensors.size(), b.model.tensors.size());
  for (size_t k = 0; k < a.model.tensors.size(); ++k) {
    EXPECT_EQ(a.model.tensors[k].path, b.model.tensors[k].path);
    EXPECT_EQ(values(zsrc, a, a.model.tensors[k]), values(dsrc, b, b.model.tensors[k]));
  }
}

TEST(TorchCheckpoint, LegacyFormatSameTensorsAndValues) {
  auto legacy = test::load("tiny_state_dict_legacy.pt");
  auto zipped = test::load("tiny_state_dict.pt");
  MemorySource lsrc(legacy), zsrc(zipped);
  ASSERT_TRUE(looks_like_legacy_torch(lsrc));
  ASSERT_FALSE(looks_like_legacy_torch(zsrc));
  ASSERT_TRUE(looks_like_zip(zsrc));
  auto l = read_legacy_torch(lsrc);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_TRUE(l->findings.empty()) << test::rules_of(l->findings);
  EXPECT_EQ(test::count_prefix(l->main.findings, "security."), 0u);
  EXPECT_EQ(l->end_offset, legacy.size());
  EXPECT_TRUE(l->little_endian);
  auto z = read_fixture(zipped);
  ASSERT_EQ(l->model.tensors.size(), z.model.tensors.size());
  ASSERT_EQ(l->records.size(), 4u);
  for (size_t k = 0; k < z.model.tensors.size(); ++k) {
    const TorchTensor& lt = l->model.tensors[k];
    const TorchTensor& zt = z.model.tensors[k];
    EXPECT_EQ(lt.path, zt.path);
    EXPECT_EQ(lt.shape, zt.shape);
    EXPECT_EQ(lt.dtype, zt.dtype);
    const StorageData* sd = nullptr;
    for (const auto& s : l->storages)
      if (s.key == lt.storage_key) sd = &s;
    ASSERT_NE(sd, nullptr);
    std::vector<float> lv;
    auto n = gather_f32(StorageBytes{&lsrc, sd->data_offset, sd->nbytes}, lt.dtype, lt.shape, lt.stride,
                        lt.storage_offset, [&](const float* v, size_t c) {
                          lv.insert(lv.end(), v, v + c);
                          return true;
                        });
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(lv, values(zsrc, z, zt)) << lt.path;
  }
  // The shared embedding is one record.
  EXPECT_EQ(l->model.tensors[0].storage_key, l->model.tensors[4].storage_key);
}

TEST(TorchCheckpoint, LegacyTruncatedRecordAndTrailingBytes) {
  auto legacy = test::load("tiny_state_dict_legacy.pt");
  {
    std::vector<uint8_t> cut(legacy.begin(), legacy.end() - 10);
    MemorySource src(cut);
    auto l = read_legacy_torch(src);
    ASSERT_TRUE(l.ok());
    const Finding* f = test::find_rule(l->findings, "torch.legacy_truncated");
    ASSERT_NE(f, nullptr) << test::rules_of(l->findings);
    EXPECT_EQ(f->offset, l->records.back().data_offset + l->records.back().nbytes);
  }
  {
    auto longer = legacy;
    longer.push_back(0);
    MemorySource src(longer);
    auto l = read_legacy_torch(src);
    ASSERT_TRUE(l.ok());
    const Finding* f = test::find_rule(l->findings, "torch.legacy_trailing");
    ASSERT_NE(f, nullptr) << test::rules_of(l->findings);
    EXPECT_EQ(f->offset, legacy.size());
  }
  {
    std::vector<uint8_t> other(legacy.begin(), legacy.end());
    other[5] ^= 1;  // a magic byte
    MemorySource src(other);
    auto l = read_legacy_torch(src);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().cause, "torch.not_legacy");
  }
}

// Hand-built data.pkl contents: the torch interpretation's findings.
TorchModel model_of(const test::PickleBuilder& p) {
  auto src = p.source();
  auto r = unpickle(src, 0, src.size());
  EXPECT_TRUE(r.ok() && r->complete) << test::rules_of(r->findings);
  return interpret_torch_pickle(*r);
}

TEST(TorchInterpretation, TensorPastItsStorage) {
  test::PickleBuilder p;
  p.proto(2).empty_dict().str("w");
  size_t at = p.at();
  p.tensor_v2("FloatStorage", "0", 10, 4, {2, 4}, {4, 1});  // needs 4 + 8 = 12 elements
  size_t reduce = p.at() - 1;
  p.setitem().stop();
  auto m = model_of(p);
  (void)at;
  const Finding* f = test::find_rule(m.findings, "torch.storage_past_end");
  ASSERT_NE(f, nullptr) << test::rules_of(m.findings);
  EXPECT_EQ(f->offset, reduce);
  EXPECT_EQ(f->subject, "w");
}

TEST(TorchInterpretation, ShapeTimesStrideOverflows) {
  test::PickleBuilder p;
  p.proto(2).empty_dict().str("w");
  p.tensor_v2("FloatStorage", "0", 10, 0, {0x7fffffff, 0x7fffffff, 0x7fffffff}, {0x7fffffff, 0x7fffffff, 1});
  size_t reduce = p.at() - 1;
  p.setitem().stop();
  auto m = model_of(p);
  const Finding* f = test::find_rule(m.findings, "torch.shape_overflow");
  ASSERT_NE(f, nullptr) << test::rules_of(m.findings);
  EXPECT_EQ(f->offset, reduce);
}

TEST(TorchInterpretation, OneStorageTwoDtypes) {
  test::PickleBuilder p;
  p.proto(2).empty_dict().mark().str("a");
  p.tensor_v2("FloatStorage", "0", 4, 0, {4}, {1});
  p.str("b");
  size_t second_pid = p.at() + 35 + 1 + 13;  // GLOBAL _rebuild_tensor_v2 + MARK + MARK .. see below
  (void)second_pid;
  p.tensor_v2("HalfStorage", "0", 4, 0, {4}, {1});
  p.setitems().stop();
  auto m = model_of(p);
  EXPECT_EQ(test::count_rule(m.findings, "torch.storage_dtype_conflict"), 1u) << test::rules_of(m.findings);
  EXPECT_EQ(m.tensors.size(), 2u);
  EXPECT_EQ(m.storages.size(), 1u);
}

TEST(TorchInterpretation, BadPersistentIdAndBadTensorArguments) {
  test::PickleBuilder p;
  p.proto(2).empty_dict().mark().str("a");
  p.global("torch._utils", "_rebuild_tensor_v2").mark();
  size_t pid = p.at() + 11;  // BINPERSID after the str (10 bytes) and TUPLE1
  p.str("bogus").tuple1().binpersid();
  p.int1(0).mark().int1(2).tuple().mark().int1(1).tuple().newfalse().none().tuple().reduce();
  p.str("b").global("torch._utils", "_rebuild_tensor_v2").mark().none().str("x").tuple().reduce();
  p.setitems().stop();
  auto m = model_of(p);
  EXPECT_EQ(test::count_rule(m.findings, "torch.bad_persistent_id"), 1u) << test::rules_of(m.findings);
  EXPECT_EQ(test::find_rule(m.findings, "torch.bad_persistent_id")->offset, pid);
  EXPECT_EQ(test::count_rule(m.findings, "torch.bad_tensor"), 1u) << test::rules_of(m.findings);
  EXPECT_TRUE(m.tensors.empty());
}

TEST(TorchInterpretation, Torch2UntypedStorageWithRebuildV3) {
  // _rebuild_tensor_v3(pid(('storage', torch.UntypedStorage, '0', 'cpu', 16)), 0, (2,), (1,), False, {},
  // torch.bfloat16)
  test::PickleBuilder p;
  p.proto(2).empty_dict().str("w").global("torch._utils", "_rebuild_tensor_v3").mark();
  p.mark().str("storage").global("torch", "UntypedStorage").str("0").str("cpu").int1(16).tuple().binpersid();
  p.int1(0).mark().int1(8).tuple().mark().int1(1).tuple().newfalse().empty_dict().global("torch", "bfloat16");
  p.tuple().reduce().setitem().stop();
  auto m = model_of(p);
  EXPECT_TRUE(m.findings.empty()) << test::rules_of(m.findings);
  ASSERT_EQ(m.tensors.size(), 1u);
  EXPECT_EQ(m.tensors[0].dtype, TorchDType::bf16);
  EXPECT_EQ(m.storages[0].dtype, TorchDType::untyped);
  EXPECT_EQ(m.storages[0].nbytes(), 16u);
}

TEST(TorchInterpretation, MissingAndUnusedStorageMembers) {
  auto bytes = test::load("tiny_state_dict.pt");
  // Rename data/1 to data/9: storage 1 has no member and data/9 is used by nothing.
  for (size_t k = 0; k + 22 < bytes.size(); ++k)
    if (std::string(bytes.begin() + long(k), bytes.begin() + long(k) + 22) == "tiny_state_dict/data/1")
      bytes[k + 21] = '9';
  MemorySource src(bytes);
  auto c = read_torch_zip(src);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(test::count_rule(c->findings, "torch.missing_storage"), 1u) << test::rules_of(c->findings);
  EXPECT_EQ(test::count_rule(c->findings, "torch.unused_storage"), 1u) << test::rules_of(c->findings);
}

TEST(TorchInterpretation, StorageMemberOfTheWrongSize) {
  test::PickleBuilder p;
  p.proto(2).empty_dict().str("w").tensor_v2("FloatStorage", "0", 4, 0, {4}, {1}).setitem().stop();
  auto built =
      test::build_zip({{"a/data.pkl", std::string(p.b.begin(), p.b.end())}, {"a/data/0", std::string(12, 'x')}});
  MemorySource src(built.bytes);
  auto c = read_torch_zip(src);
  ASSERT_TRUE(c.ok());
  const Finding* f = test::find_rule(c->findings, "torch.storage_size_mismatch");
  ASSERT_NE(f, nullptr) << test::rules_of(c->findings);
  EXPECT_EQ(f->offset, built.local[1]);
}

TEST(TorchCheckpoint, NoDataPkl) {
  auto built = test::build_zip({{"a/other.pkl", "x"}});
  MemorySource src(built.bytes);
  auto c = read_torch_zip(src);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().cause, "torch.no_data_pkl");
}

}  // namespace
}  // namespace ckpt::torch

namespace ckpt::torch {
namespace {

// A 5 GiB storage in a sparse file: the checkpoint is read (directory, data.pkl,
// version) without touching the storage's bytes.
TEST(TorchCheckpoint, HeaderOnlyReadOfASparseMultiGigabyteCheckpoint) {
  const uint64_t big = 5ull << 30;
  test::PickleBuilder p;
  p.proto(2).empty_dict().str("w");
  p.tensor_v2("FloatStorage", "0", int32_t(big / 4), 0, {int32_t(big / 4 / 1024), 1024}, {1024, 1});
  p.setitem().stop();
  char path[] = "/tmp/ckpt_sparse_ptXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  auto layout = test::write_sparse_zip(
      fd, {{"a/data.pkl", std::string(p.b.begin(), p.b.end())}, {"a/data/0", "", big}, {"a/version", "3\n"}});
  close(fd);
  auto file = FileSource::open(path);
  std::remove(path);
  ASSERT_TRUE(file.ok());
  auto c = read_torch_zip(**file);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->findings.empty()) << test::rules_of(c->findings);
  EXPECT_TRUE(c->model.findings.empty()) << test::rules_of(c->model.findings);
  ASSERT_EQ(c->model.tensors.size(), 1u);
  EXPECT_EQ(c->model.tensors[0].numel(), big / 4);
  ASSERT_EQ(c->storages.size(), 1u);
  EXPECT_TRUE(c->storages[0].in_place);
  EXPECT_EQ(c->storages[0].data_offset, layout.data[1]);
  EXPECT_EQ(c->storages[0].nbytes, big);
  EXPECT_EQ(c->version, "3");
  EXPECT_LT((*file)->bytes_read(), 72u * 1024) << (*file)->bytes_read();
  RecordProperty("sparse_checkpoint_bytes_read", std::to_string((*file)->bytes_read()));
}

TEST(TorchCheckpoint, OtherPicklesInTheArchiveAreScannedToo) {
  test::PickleBuilder clean;
  clean.proto(2).empty_dict().stop();
  test::PickleBuilder evil;
  evil.proto(2).global("os", "system").str("id").tuple1().reduce().stop();
  std::string evil_bytes(evil.b.begin(), evil.b.end());
  auto built = test::build_zip({{"a/data.pkl", std::string(clean.b.begin(), clean.b.end())},
                                {"a/extra/payload.pkl", evil_bytes},
                                {"a/notes", evil_bytes, true}});  // no .pkl suffix, deflated, starts with PROTO
  MemorySource src(built.bytes);
  auto c = read_torch_zip(src);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->pickle.findings.empty());
  ASSERT_EQ(c->other_pickles.size(), 2u);
  const auto& first = c->other_pickles[0];
  EXPECT_TRUE(first.in_place);
  const Finding* f = test::find_rule(first.pickle.findings, "security.dangerous_global");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->offset, built.data[1] + 2);
  const auto& second = c->other_pickles[1];
  EXPECT_FALSE(second.in_place);
  f = test::find_rule(second.pickle.findings, "security.dangerous_global");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->offset, 2u);  // an offset inside the inflated member
}

}  // namespace
}  // namespace ckpt::torch
