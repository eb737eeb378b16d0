// `ckpt inspect` on torch.save files and Meta folders: the family sections (zip members,
// version/byteorder, pickle contents, globals; legacy pickles and records; params.json
// and shards) and --at inside zip records, data.pkl, storages and legacy records. The
// offsets were checked against Python's zipfile and pickletools on the same files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "ckpt/locate.hpp"
#include "pickle_walk.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

using nlohmann::json;

std::string torch_fixture(const std::string& rel) { return test::fixture_path("torch/" + rel); }
std::string torch_data(const std::string& name) { return std::string(CKPT_TORCH_TEST_DATA) + "/" + name; }

bool has_line(const std::string& out, const std::string& line) {
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

#define EXPECT_LINE(out, line) EXPECT_TRUE(has_line(out, line)) << "missing line: [" << (line) << "]\n" << (out)

// The "at ..." line of `inspect FILE --at OFFSET`.
std::string at_line(const std::string& file, const std::string& at) {
  auto r = test::run_ckpt({"inspect", file, "--at", at});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);)
    if (l.starts_with("at ")) return l;
  return "";
}

TEST(TorchInspect, TrainCheckpointShowsZipPickleContentsAndGlobals) {
  auto r = test::run_ckpt({"inspect", torch_fixture("train/ckpt_tied.pt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& o = r.out;
  EXPECT_LINE(o, "torch.save zip");
  EXPECT_LINE(o, "  archive folder \"ckpt_tied\", version 3, byteorder (no record: little, as before torch 1.13)");
  EXPECT_LINE(o,
              "  zip: 85 members (85 declared), central directory at 362322 (5346 bytes), end record at 367744, "
              "zip64 end record at 367668");
  EXPECT_LINE(o, "  members (85)");
  EXPECT_LINE(o, "        header       data  method         size  crc32     name");
  EXPECT_LINE(o, "             0         64  stored         9611  b7ba3fac  ckpt_tied/data.pkl");
  EXPECT_LINE(o, "          9691       9792  stored        12288  463ae8f6  ckpt_tied/data/0");
  EXPECT_LINE(o, "        362192     362304  stored            2  55679ed1  ckpt_tied/version");
  EXPECT_LINE(o, "  pickle ckpt_tied/data.pkl: protocol 2, 3102 opcodes, bytes 64..9674");
  EXPECT_LINE(o, "  contents (root dict, 84 tensors, 83 storages; 47 entries that are not tensors)");
  EXPECT_LINE(o, "    top level (6): model, optimizer, model_args, iter_num, best_val_loss, config");
  EXPECT_LINE(o, "    model: OrderedDict, 23 items, 23 tensors");
  EXPECT_LINE(o, "    optimizer/param_groups: list, 2 items");
  EXPECT_LINE(o, "    model_args/dim = 32 (int)");
  EXPECT_LINE(o, "    model_args/max_seq_len = 32 (int)");
  EXPECT_LINE(o, "    iter_num = 2 (int)");
  EXPECT_LINE(o, "    config/learning_rate = 5e-04 (float)");
  EXPECT_LINE(o, "    config/init_from = 'scratch' (str)");
  EXPECT_LINE(o, "  globals (3)");
  EXPECT_LINE(o, "        offset  verdict    opcode        module.name");
  EXPECT_LINE(o, "            82  safe       GLOBAL        collections.OrderedDict");
  EXPECT_LINE(o, "           142  safe       GLOBAL        torch._utils._rebuild_tensor_v2");
  EXPECT_LINE(o, "           193  safe       GLOBAL        torch.FloatStorage");
  // Tensors stay in the tensor table: best_val_loss is a 0-d tensor, not a contents line.
  EXPECT_EQ(o.find("best_val_loss ="), std::string::npos);
}

TEST(TorchInspect, JsonHasTheSameFields) {
  auto r = test::run_ckpt({"inspect", torch_fixture("train/ckpt_tied.pt"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  const json& f = doc["torch"]["files"][0];
  EXPECT_EQ(f["file"], nullptr);
  EXPECT_EQ(f["container"], "zip");
  EXPECT_EQ(f["size"], 367766);
  EXPECT_EQ(f["tensor_prefix"], "");
  EXPECT_EQ(f["tensor_count"], 84);
  const json& z = f["zip"];
  EXPECT_EQ(z["archive_folder"], "ckpt_tied");
  EXPECT_EQ(z["version"], "3");
  EXPECT_EQ(z["byteorder"], nullptr);
  EXPECT_EQ(z["central_directory_offset"], 362322);
  EXPECT_EQ(z["central_directory_size"], 5346);
  EXPECT_EQ(z["end_record_offset"], 367744);
  EXPECT_EQ(z["zip64_end_record_offset"], 367668);
  EXPECT_EQ(z["declared_members"], 85);
  EXPECT_EQ(z["members"].size(), 85u);
  EXPECT_EQ(z["members"][1], (json{{"name", "ckpt_tied/data/0"},
                                   {"header_offset", 9691},
                                   {"data_offset", 9792},
                                   {"method", "stored"},
                                   {"compressed_size", 12288},
                                   {"size", 12288},
                                   {"crc32", 0x463ae8f6}}));
  const json& p = z["pickle"];
  EXPECT_EQ(p["member"], "ckpt_tied/data.pkl");
  EXPECT_EQ(p["protocol"], 2);
  EXPECT_EQ(p["begin"], 64);
  EXPECT_EQ(p["end"], 9675);
  EXPECT_EQ(p["offsets"], "file");
  EXPECT_EQ(p["opcodes"], 3102);
  EXPECT_EQ(p["complete"], true);
  EXPECT_EQ(p["globals"][1], (json{{"module", "torch._utils"},
                                   {"name", "_rebuild_tensor_v2"},
                                   {"offset", 142},
                                   {"opcode", "GLOBAL"},
                                   {"verdict", "safe"}}));
  EXPECT_EQ(z["other_pickles"], json::array());
  const json& c = f["contents"];
  EXPECT_EQ(c["root"], "dict");
  EXPECT_EQ(c["top_level"], (json{"model", "optimizer", "model_args", "iter_num", "best_val_loss", "config"}));
  EXPECT_EQ(c["tensors"], 84);
  EXPECT_EQ(c["storages"], 83);
  EXPECT_EQ(c["entries"].size(), 47u);
  EXPECT_EQ(c["entries"][0], (json{{"path", "model"}, {"kind", "OrderedDict"}, {"items", 23}, {"tensors", 23}}));
  EXPECT_EQ(c["entries"][4], (json{{"path", "model_args"}, {"kind", "dict"}, {"items", 8}, {"tensors", 0}}));
  EXPECT_EQ(c["entries"][5], (json{{"path", "model_args/dim"}, {"kind", "int"}, {"value", "32"}}));
  EXPECT_FALSE(doc["torch"].contains("params"));  // a lone file
}

TEST(TorchInspect, AtNamesZipRecordFields) {
  const std::string f = torch_fixture("train/ckpt_tied.pt");
  EXPECT_EQ(at_line(f, "0"),
            "at byte 0 (0x0): zip local header of ckpt_tied/data.pkl: signature (bytes 0..3), byte 0 of it");
  EXPECT_EQ(at_line(f, "20"),
            "at byte 20 (0x14): zip local header of ckpt_tied/data.pkl: compressed size (bytes 18..21), byte 2 of it");
  EXPECT_EQ(at_line(f, "35"),
            "at byte 35 (0x23): zip local header of ckpt_tied/data.pkl: name (bytes 30..47), byte 5 of it");
  EXPECT_EQ(at_line(f, "50"),
            "at byte 50 (0x32): zip local header of ckpt_tied/data.pkl: extra field (torch's 'FB' alignment padding) "
            "(bytes 48..63), byte 2 of it");
  // torch writes a data descriptor (PK\7\8, CRC-32, sizes) after each member's data.
  EXPECT_EQ(at_line(f, "9690"),
            "at byte 9690 (0x25da): zip data descriptor of ckpt_tied/data.pkl: uncompressed size (bytes 9687..9690), "
            "byte 3 of it");
  EXPECT_EQ(at_line(f, "9700"),
            "at byte 9700 (0x25e4): zip local header of ckpt_tied/data/0: method (bytes 9699..9700), byte 1 of it");
  EXPECT_EQ(at_line(f, "362400"),
            "at byte 362400 (0x587a0): zip central directory record of ckpt_tied/data/0: modification date (bytes "
            "362400..362401), byte 0 of it");
  EXPECT_EQ(
      at_line(f, "367700"),
      "at byte 367700 (0x59c54): zip64 end of central directory record: record (bytes 367668..367723), byte 32 of it");
  EXPECT_EQ(at_line(f, "367750"),
            "at byte 367750 (0x59c86): zip end of central directory record: central directory disk (bytes "
            "367750..367751), byte 0 of it");
  EXPECT_EQ(at_line(f, "362305"),
            "at byte 362305 (0x58741): ckpt_tied/version: version record (bytes 362304..362305), byte 1 of it");
  EXPECT_EQ(at_line(f, "400000"), "at byte 400000 (0x61a80): past the end of the file");
}

TEST(TorchInspect, AtNamesPickleOpcodes) {
  const std::string f = torch_fixture("train/ckpt_tied.pt");
  EXPECT_EQ(at_line(f, "64"), "at byte 64 (0x40): ckpt_tied/data.pkl: opcode PROTO (bytes 64..65), byte 0 of it");
  EXPECT_EQ(at_line(f, "65"),
            "at byte 65 (0x41): ckpt_tied/data.pkl: opcode PROTO (argument) (bytes 64..65), byte 1 of it");
  EXPECT_EQ(at_line(f, "71"),
            "at byte 71 (0x47): ckpt_tied/data.pkl: opcode BINUNICODE (argument length) (bytes 70..79), byte 1 of it");
  EXPECT_EQ(at_line(f, "75"),
            "at byte 75 (0x4b): ckpt_tied/data.pkl: opcode BINUNICODE (argument data) (bytes 70..79), byte 5 of it");
  EXPECT_EQ(at_line(f, "0x8f"),
            "at byte 143 (0x8f): ckpt_tied/data.pkl: opcode GLOBAL (argument), imports torch._utils._rebuild_tensor_v2 "
            "(safe) (bytes 142..174), byte 1 of it");
  EXPECT_EQ(at_line(f, "266"),
            "at byte 266 (0x10a): ckpt_tied/data.pkl: opcode REDUCE, rebuilds model/tok_embeddings.weight (bytes "
            "266..266), byte 0 of it");
}

TEST(TorchInspect, AtNamesTensorElementsAndTiedStorages) {
  const std::string f = torch_fixture("train/ckpt_tied.pt");
  // torch.load: tok_embeddings.weight[0, 0] = -0.034918662, [0, 2] = 0.019580455; best_val_loss 4.5728.
  EXPECT_EQ(at_line(f, "9792"),
            "at byte 9792 (0x2640): model/tok_embeddings.weight element 0 [0, 0] (f32), byte 0 of it, in "
            "ckpt_tied/data/0; also model/output.weight element 0; value -0.0349187");
  EXPECT_EQ(at_line(f, "9802"),
            "at byte 9802 (0x264a): model/tok_embeddings.weight element 2 [0, 2] (f32), byte 2 of it, in "
            "ckpt_tied/data/0; also model/output.weight element 2; value 0.0195805");
  EXPECT_EQ(
      at_line(f, "361920"),
      "at byte 361920 (0x585c0): best_val_loss element 0 [] (f32), byte 0 of it, in ckpt_tied/data/82; value 4.57278");
  auto r = test::run_ckpt({"inspect", f, "--json", "--at", "9796"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["at"], (json{{"offset", 9796},
                                            {"kind", "tensor_data"},
                                            {"beyond_file", false},
                                            {"tensor", "model/tok_embeddings.weight"},
                                            {"part", "f32"},
                                            {"element", 1},
                                            {"index", {0, 1}},
                                            {"within", "ckpt_tied/data/0"},
                                            {"shared_with", {{{"tensor", "model/output.weight"}, {"element", 1}}}},
                                            {"region_start", 9796},
                                            {"region_length", 4},
                                            {"byte_in_region", 0},
                                            {"value", 0.011795292608439922}}));
}

TEST(TorchInspect, AtStridedViewsAndDeflatedMembers) {
  // views.pt: base = arange(24).reshape(4, 6) at 1152, transposed = base.t(), row2 = base[2].
  const std::string v = torch_data("views.pt");
  EXPECT_EQ(at_line(v, "1156"),
            "at byte 1156 (0x484): base element 1 [0, 1] (f32), byte 0 of it, in views/data/3; also transposed "
            "element 4; value 1");
  EXPECT_EQ(at_line(v, "1204"),
            "at byte 1204 (0x4b4): base element 13 [2, 1] (f32), byte 0 of it, in views/data/3; also row2 element 1; "
            "also transposed element 6; value 13");
  EXPECT_EQ(at_line(v, "1024"),
            "at byte 1024 (0x400): i64 element 0 [0] (i64), byte 0 of it, in views/data/2; value 0");
  const std::string d = torch_data("tiny_state_dict_deflated.pt");
  EXPECT_EQ(at_line(d, "60"),
            "at byte 60 (0x3c): tiny_state_dict/data.pkl: deflated data (what it holds has no fixed file offset) "
            "(bytes 54..379), byte 6 of it");
  auto r = test::run_ckpt({"inspect", d});
  EXPECT_LINE(r.out, "             0         54  deflated    326/498  a7bfea0e  tiny_state_dict/data.pkl");
  EXPECT_LINE(r.out, "  pickle tiny_state_dict/data.pkl: protocol 2, 149 opcodes, member bytes 0..497");
}

TEST(TorchInspect, JsonTensorsCarryTheirStorageAndStrides) {
  // views.pt: transposed = base.t() shares storage 3 with base; row2 = base[2] starts 12
  // elements in. pickletools puts the rebuilding REDUCEs at 532 and 586.
  auto r = test::run_ckpt({"inspect", torch_data("views.pt"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json t = json::parse(r.out)["tensors"];
  EXPECT_EQ(t[4]["name"], "transposed");
  EXPECT_EQ(t[4]["torch"], (json{{"path", "transposed"},
                                 {"storage", "3"},
                                 {"member", "views/data/3"},
                                 {"storage_offset", 0},
                                 {"stride", {1, 6}},
                                 {"contiguous", false},
                                 {"parameter", false},
                                 {"requires_grad", false},
                                 {"rebuild_offset", 532}}));
  EXPECT_EQ(t[5]["torch"]["storage_offset"], 12);
  EXPECT_EQ(t[5]["torch"]["rebuild_offset"], 586);
  EXPECT_EQ(t[6]["torch"]["stride"], json::array());
}

TEST(TorchInspect, LegacyFileShowsPicklesAndRecords) {
  const std::string f = torch_fixture("train/ckpt_legacy.pt");
  auto r = test::run_ckpt({"inspect", f});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LINE(r.out, "torch.save legacy");
  EXPECT_LINE(r.out, "  legacy torch.save: little-endian, 83 storage records, records end at 354412");
  EXPECT_LINE(r.out, "    magic    protocol 2, 3 opcodes, bytes 0..14");
  EXPECT_LINE(r.out, "    object   protocol 2, 3187 opcodes, bytes 137..10439");
  EXPECT_LINE(r.out, "    keys     protocol 2, 172 opcodes, bytes 10440..11775");
  EXPECT_LINE(r.out, "         11776      11784         3072        12288  679838496");
  EXPECT_EQ(at_line(f, "3"),
            "at byte 3 (0x3): legacy magic number pickle: opcode LONG1 (argument length) (bytes 2..13), byte 1 of it");
  EXPECT_EQ(at_line(f, "11776"),
            "at byte 11776 (0x2e00): legacy storage record 679838496: element count (int64 little-endian) (bytes "
            "11776..11783), byte 0 of it");
  EXPECT_EQ(at_line(f, "11790"),
            "at byte 11790 (0x2e0e): model/layers.1.feed_forward.w1.weight element 1 [0, 1] (f32), byte 2 of it, in "
            "legacy storage record 679838496; value 0.0160655");
  auto j = test::run_ckpt({"inspect", f, "--json"});
  const json doc = json::parse(j.out);
  const json& l = doc["torch"]["files"][0]["legacy"];
  EXPECT_EQ(doc["torch"]["files"][0]["container"], "legacy");
  EXPECT_EQ(l["little_endian"], true);
  EXPECT_EQ(l["end_offset"], 354412);
  EXPECT_EQ(l["pickles"]["object"]["begin"], 137);
  EXPECT_EQ(
      l["records"][0],
      (json{
          {"key", "679838496"}, {"header_offset", 11776}, {"data_offset", 11784}, {"numel", 3072}, {"nbytes", 12288}}));
}

TEST(TorchInspect, MetaFolderShowsParamsShardsAndTakesFileOffset) {
  const std::string dir = torch_fixture("meta/llama-2-tiny");
  auto r = test::run_ckpt({"inspect", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LINE(r.out, "params.json (8 keys)");
  EXPECT_LINE(r.out, "  ffn_dim_multiplier = 1.3");
  EXPECT_LINE(r.out, "  vocab_size = -1");
  EXPECT_LINE(r.out, "shards (2)");
  EXPECT_LINE(r.out, "  consolidated.00.pth             38819       22  consolidated.00/");
  EXPECT_LINE(r.out, "torch.save zip consolidated.01.pth");
  EXPECT_LINE(r.out,
              "  archive folder \"consolidated.01\", version 3, byteorder (no record: little, as before torch 1.13)");
  EXPECT_LINE(r.out, "           149  safe       GLOBAL        torch.BFloat16Storage");
  // A plain offset does not say which shard: refused, the files named.
  auto plain = test::run_ckpt({"inspect", dir, "--at", "100"});
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_NE(
      plain.err.find("--at: " + dir +
                     " is a folder; name one of its files as FILE:OFFSET (consolidated.00.pth, consolidated.01.pth)"),
      std::string::npos)
      << plain.err;
  auto wrong = test::run_ckpt({"inspect", dir, "--at", "params.json:3"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("params.json is none of them"), std::string::npos) << wrong.err;
  EXPECT_EQ(at_line(dir, "consolidated.01.pth:2176"),
            "at consolidated.01.pth byte 2176 (0x880): consolidated.01/tok_embeddings.weight element 0 [0, 0] (bf16), "
            "byte 0 of it, in consolidated.01/data/0; value 0.0148315");
  EXPECT_EQ(at_line(dir, "consolidated.00.pth:0x14"),
            "at consolidated.00.pth byte 20 (0x14): zip local header of consolidated.00/data.pkl: compressed size "
            "(bytes 18..21), byte 2 of it");
  auto j = test::run_ckpt({"inspect", dir, "--json", "--at", "consolidated.01.pth:2176"});
  const json doc = json::parse(j.out);
  EXPECT_EQ(doc["torch"]["params"]["n_kv_heads"], 2);
  EXPECT_EQ(doc["torch"]["files"].size(), 2u);
  EXPECT_EQ(doc["torch"]["files"][1]["file"], "consolidated.01.pth");
  EXPECT_EQ(doc["torch"]["files"][1]["tensor_prefix"], "consolidated.01/");
  EXPECT_EQ(doc["at"]["file"], "consolidated.01.pth");
  // A lone file refuses FILE:OFFSET.
  auto lone = test::run_ckpt({"inspect", torch_fixture("train/ckpt_tied.pt"), "--at", "x.pt:5"});
  EXPECT_EQ(lone.exit_code, 2);
}

TEST(TorchInspect, AtInABarePickleNamesTheOpcodeAndItsGlobal) {
  // pickletools: 0 PROTO 2, 2 GLOBAL 'os system', 13 BINUNICODE (41 bytes), 54 TUPLE1, 55 REDUCE, 56 STOP.
  const std::string f = torch_fixture("hostile/global_os_system.pkl");
  EXPECT_EQ(at_line(f, "2"),
            "at byte 2 (0x2): pickle: opcode GLOBAL, imports os.system (dangerous) (bytes 2..12), byte 0 of it");
  EXPECT_EQ(at_line(f, "40"),
            "at byte 40 (0x28): pickle: opcode BINUNICODE (argument data) (bytes 13..53), byte 27 of it");
  EXPECT_EQ(at_line(f, "56"), "at byte 56 (0x38): pickle: opcode STOP (bytes 56..56), byte 0 of it");
}

// Every byte of a file, intact and damaged, is located without a crash or a read outside
// the file; in the intact file every byte belongs to something.
TEST(TorchLocate, EveryByteOfIntactAndDamagedFilesIsLocated) {
  const std::vector<uint8_t> good = test::read_file(torch_data("views.pt"));
  auto cp = test::open_bytes(good);
  ASSERT_TRUE(cp.ok());
  for (uint64_t o = 0; o < good.size(); ++o) {
    const Location l = locate(*cp, o);
    EXPECT_NE(l.kind, RegionKind::past_end) << o;
    EXPECT_NE(l.kind, RegionKind::unmapped) << o;
    if (l.region_length) EXPECT_TRUE(o >= l.region_start && o - l.region_start < l.region_length) << o;
  }
  // Damaged copies: name lengths, sizes and pickle bytes overwritten with 0xff.
  for (uint64_t at : {26u, 28u, 70u, 100u, 700u, 1500u, 1530u, 1900u}) {
    std::vector<uint8_t> bad = good;
    for (uint64_t k = at; k < at + 4 && k < bad.size(); ++k) bad[k] = 0xff;
    auto c = test::open_bytes(bad);
    if (!c.ok()) continue;
    for (uint64_t o = 0; o < bad.size() + 8; ++o) (void)locate(*c, o);
  }
}

TEST(PickleWalk, OpcodeAtFollowsArgumentLengths) {
  // PROTO 2, BINUNICODE 'ab', SHORT_BINUNICODE 'c', GLOBAL 'm\nn\n', BININT1 7, STOP
  const std::vector<uint8_t> b = {0x80, 2,   'X', 2,   0,    0,   0,    'a', 'b', 0x8c,
                                  1,    'c', 'c', 'm', '\n', 'n', '\n', 'K', 7,   '.'};
  MemorySource src(b);
  auto at = [&](uint64_t o) { return torch::opcode_at(src, 0, b.size(), o); };
  EXPECT_EQ(at(1)->offset, 0u);
  EXPECT_EQ(at(8)->offset, 2u);
  EXPECT_EQ(at(8)->length, 7u);
  EXPECT_EQ(at(8)->argument_offset, 7u);
  EXPECT_EQ(at(11)->opcode, 0x8c);
  EXPECT_EQ(at(16)->opcode, 'c');
  EXPECT_EQ(at(16)->length, 5u);
  EXPECT_EQ(at(18)->opcode, 'K');
  EXPECT_EQ(at(19)->opcode, '.');
  EXPECT_FALSE(at(20));
  // An unknown opcode stops the walk: nothing after it is named.
  const std::vector<uint8_t> bad = {0x80, 2, 0xff, 'N', '.'};
  MemorySource bsrc(bad);
  EXPECT_FALSE(torch::opcode_at(bsrc, 0, bad.size(), 3));
  // A length beyond the window is cut: nothing.
  const std::vector<uint8_t> cut = {'X', 0xff, 0xff, 0xff, 0x7f, 'a'};
  MemorySource csrc(cut);
  EXPECT_FALSE(torch::opcode_at(csrc, 0, cut.size(), 5));
}

}  // namespace
}  // namespace ckpt
