// Every way a pickle can name something to import or call, each reported with the
// opcode's offset and, for dangerous ones, the call it would make.
#include <gtest/gtest.h>

#include "pickle_builder.hpp"
#include "pickle_globals.hpp"
#include "pickle_reader.hpp"
#include "test_util.hpp"

namespace ckpt::torch {
namespace {

using test::PickleBuilder;

PickleResult run(const PickleBuilder& p, const PickleLimits& lim = {}) {
  auto src = p.source();
  auto r = unpickle(src, 0, src.size(), lim);
  EXPECT_TRUE(r.ok());
  return std::move(*r);
}

TEST(PickleSecurity, GlobalReduceSaysTheCall) {
  PickleBuilder p;
  p.proto(2);
  size_t g = p.at();
  p.global("os", "system").str("id").tuple1().reduce().stop();
  auto r = run(p);
  ASSERT_EQ(r.globals.size(), 1u);
  EXPECT_EQ(r.globals[0].verdict, Verdict::dangerous);
  const Finding* f = test::find_rule(r.findings, "security.dangerous_global");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->offset, g);
  EXPECT_EQ(f->severity, Severity::error);
  EXPECT_EQ(f->subject, "os.system");
  EXPECT_NE(f->message.find("os.system('id')"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("REDUCE at " + std::to_string(g + 19)), std::string::npos) << f->message;
}

TEST(PickleSecurity, StackGlobalFromMemoStrings) {
  // The strings are memoized far from their use, as a scanner evasion would do.
  PickleBuilder p;
  p.proto(4).sstr("posix").op(0x94).sstr("system").op(0x94).op('0').op('0');
  p.empty_list().op('0');
  p.get(0).get(1);
  size_t sg = p.at();
  p.op(0x93).sstr("touch /tmp/x").tuple1().reduce().stop();
  auto r = run(p);
  ASSERT_EQ(r.globals.size(), 1u);
  EXPECT_EQ(r.globals[0].module, "posix");
  EXPECT_EQ(r.globals[0].opcode, 0x93);
  const Finding* f = test::find_rule(r.findings, "security.dangerous_global");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->offset, sg);
  EXPECT_NE(f->message.find("STACK_GLOBAL imports posix.system"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("posix.system('touch /tmp/x')"), std::string::npos) << f->message;
}

TEST(PickleSecurity, StackGlobalOfBuiltStringsIsDynamic) {
  // module = str.join('', ['o', 's']): no literal, decided at load time.
  PickleBuilder p;
  p.proto(4).global("builtins", "str").str("os").tuple1().reduce().sstr("system");
  size_t sg = p.at();
  p.op(0x93).stop();
  auto r = run(p);
  const Finding* f = test::find_rule(r.findings, "security.dynamic_global");
  ASSERT_NE(f, nullptr) << test::rules_of(r.findings);
  EXPECT_EQ(*f->offset, sg);
  EXPECT_TRUE(r.globals.back().dynamic);
  EXPECT_EQ(r.globals.back().verdict, Verdict::dangerous);
}

TEST(PickleSecurity, InstImportsAndCalls) {
  PickleBuilder p;
  p.mark().op('S').line("'id'");
  size_t inst = p.at();
  p.op('i').line("os").line("system").stop();
  auto r = run(p);
  const Finding* f = test::find_rule(r.findings, "security.dangerous_global");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->offset, inst);
  EXPECT_EQ(r.globals[0].opcode, 'i');
  EXPECT_NE(f->message.find("os.system('id')"), std::string::npos) << f->message;
}

TEST(PickleSecurity, ObjClassOperand) {
  PickleBuilder p;
  p.mark();
  size_t g = p.at();
  p.global("subprocess", "check_output").mark().str("id").op('l');
  size_t obj = p.at();
  p.op('o').stop();
  auto r = run(p);
  const Finding* f = test::find_rule(r.findings, "security.dangerous_global");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->offset, g);
  EXPECT_NE(f->message.find("subprocess.check_output(['id'])"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("OBJ at " + std::to_string(obj)), std::string::npos) << f->message;
}

TEST(PickleSecurity, NewobjAndNewobjEx) {
  PickleBuilder p;
  p.proto(4).mark();
  size_t g1 = p.at();
  p.global("subprocess", "Popen").mark().str("id").op('l').tuple1().op(0x81);
  size_t g2 = p.at();
  p.global("socket", "socket").empty_tuple().empty_dict().op(0x92);
  p.tuple().stop();
  auto r = run(p);
  ASSERT_EQ(test::count_rule(r.findings, "security.dangerous_global"), 2u) << test::rules_of(r.findings);
  EXPECT_EQ(*r.findings[0].offset, g1);
  EXPECT_NE(r.findings[0].message.find("subprocess.Popen(['id'])"), std::string::npos) << r.findings[0].message;
  EXPECT_EQ(*r.findings[1].offset, g2);
}

// EXT1/2/4 name whatever the loading process registered with copyreg.add_extension: the
// target cannot be known from the file (torch.save never writes them), so they are refused.
TEST(PickleSecurity, ExtensionCodesAreRefused) {
  PickleBuilder p;
  p.proto(2).mark();
  size_t e1 = p.at();
  p.op(0x82).u8(7);
  size_t e2 = p.at();
  p.op(0x83).u16(0x1234);
  size_t e4 = p.at();
  p.op(0x84).u32(0x7fffffff).tuple().stop();
  auto r = run(p);
  ASSERT_EQ(test::count_rule(r.findings, "security.dangerous_global"), 3u) << test::rules_of(r.findings);
  EXPECT_EQ(*r.findings[0].offset, e1);
  EXPECT_EQ(*r.findings[1].offset, e2);
  EXPECT_EQ(*r.findings[2].offset, e4);
  EXPECT_EQ(r.findings[0].severity, Severity::error);
  EXPECT_NE(r.findings[2].message.find("EXT4"), std::string::npos);
}

TEST(PickleSecurity, NestedPickleLoadsPayloadIsScannedWithFileOffsets) {
  PickleBuilder inner;
  inner.proto(2);
  size_t inner_global = inner.at();
  inner.global("os", "system").str("id").tuple1().reduce().stop();
  PickleBuilder p;
  p.proto(3);
  size_t loads = p.at();
  p.global("pickle", "loads");
  size_t payload = p.at() + 5;  // BINBYTES opcode + 4-byte length
  p.bytes(std::string(inner.b.begin(), inner.b.end())).tuple1().reduce().stop();
  auto r = run(p);
  ASSERT_EQ(test::count_rule(r.findings, "security.dangerous_global"), 2u) << test::rules_of(r.findings);
  EXPECT_EQ(*r.findings[0].offset, loads);
  EXPECT_EQ(r.findings[0].subject, "pickle.loads");
  EXPECT_EQ(*r.findings[1].offset, payload + inner_global);
  EXPECT_NE(r.findings[1].message.find("nested at offset " + std::to_string(payload)), std::string::npos);
  EXPECT_NE(r.findings[1].message.find("os.system('id')"), std::string::npos);
  ASSERT_EQ(r.globals.size(), 2u);
}

TEST(PickleSecurity, NestingDepthIsBounded) {
  // pickle.loads(pickle.loads(pickle.loads(os.system))) with max_nested_pickles = 1.
  PickleBuilder cur;
  cur.proto(2).global("os", "system").str("id").tuple1().reduce().stop();
  for (int k = 0; k < 3; ++k) {
    PickleBuilder outer;
    outer.proto(3).global("_pickle", "loads").bytes(std::string(cur.b.begin(), cur.b.end())).tuple1().reduce().stop();
    cur = outer;
  }
  PickleLimits lim;
  lim.max_nested_pickles = 1;
  auto r = run(cur, lim);
  EXPECT_EQ(r.globals.size(), 2u);  // the outer loads and the first nested loads
  lim.max_nested_pickles = 3;
  auto all = run(cur, lim);
  EXPECT_EQ(all.globals.size(), 4u);
  EXPECT_EQ(all.globals.back().module, "os");
}

TEST(PickleSecurity, Python2BuiltinNamesAndEval) {
  PickleBuilder p;
  size_t g = p.at();
  p.global("__builtin__", "eval").mark().op('S').line("'__import__(\"os\").system(\"id\")'").tuple().reduce().stop();
  auto r = run(p);
  const Finding* f = test::find_rule(r.findings, "security.dangerous_global");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->offset, g);
  EXPECT_NE(f->message.find("__builtin__.eval('__import__(\"os\").system(\"id\")')"), std::string::npos) << f->message;
}

TEST(PickleSecurity, DottedNameWalksAttributesToOsSystem) {
  PickleBuilder p;
  p.proto(4).sstr("torch").sstr("serialization.os.system");
  size_t sg = p.at();
  p.op(0x93).sstr("id").tuple1().reduce().stop();
  auto r = run(p);
  const Finding* f = test::find_rule(r.findings, "security.dangerous_global");
  ASSERT_NE(f, nullptr) << test::rules_of(r.findings);
  EXPECT_EQ(*f->offset, sg);
  EXPECT_EQ(f->subject, "torch.serialization.os.system");
}

TEST(PickleSecurity, UnknownGlobalIsAWarning) {
  PickleBuilder p;
  size_t g = p.at();
  p.global("__main__", "Evil").empty_tuple().reduce().stop();
  auto r = run(p);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "security.unknown_global");
  EXPECT_EQ(*r.findings[0].offset, g);
}

struct Judged {
  const char* module;
  const char* name;
  Verdict verdict;
};

class GlobalVerdicts : public ::testing::TestWithParam<Judged> {};

TEST_P(GlobalVerdicts, AsListed) {
  EXPECT_EQ(classify_global(GetParam().module, GetParam().name), GetParam().verdict)
      << GetParam().module << "." << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Lists, GlobalVerdicts,
    ::testing::Values(
        Judged{"torch._utils", "_rebuild_tensor_v2", Verdict::safe}, Judged{"torch", "FloatStorage", Verdict::safe},
        Judged{"torch", "BFloat16Storage", Verdict::safe}, Judged{"torch.cuda", "HalfStorage", Verdict::safe},
        Judged{"torch", "bfloat16", Verdict::safe}, Judged{"torch", "Size", Verdict::safe},
        Judged{"collections", "OrderedDict", Verdict::safe},
        Judged{"numpy.core.multiarray", "_reconstruct", Verdict::safe}, Judged{"numpy", "dtype", Verdict::safe},
        Judged{"_codecs", "encode", Verdict::safe}, Judged{"__builtin__", "set", Verdict::safe},
        Judged{"argparse", "Namespace", Verdict::safe}, Judged{"os", "system", Verdict::dangerous},
        Judged{"os.path", "join", Verdict::dangerous}, Judged{"posix", "system", Verdict::dangerous},
        Judged{"nt", "system", Verdict::dangerous}, Judged{"subprocess", "Popen", Verdict::dangerous},
        Judged{"builtins", "exec", Verdict::dangerous}, Judged{"builtins", "getattr", Verdict::dangerous},
        Judged{"__builtin__", "__import__", Verdict::dangerous}, Judged{"runpy", "_run_code", Verdict::dangerous},
        Judged{"importlib", "import_module", Verdict::dangerous}, Judged{"sys", "modules", Verdict::dangerous},
        Judged{"socket", "create_connection", Verdict::dangerous}, Judged{"shutil", "rmtree", Verdict::dangerous},
        Judged{"webbrowser", "open", Verdict::dangerous}, Judged{"pickle", "loads", Verdict::dangerous},
        Judged{"_pickle", "loads", Verdict::dangerous}, Judged{"cPickle", "loads", Verdict::dangerous},
        Judged{"marshal", "loads", Verdict::dangerous}, Judged{"types", "CodeType", Verdict::dangerous},
        Judged{"types", "FunctionType", Verdict::dangerous}, Judged{"ctypes", "CDLL", Verdict::dangerous},
        Judged{"pty", "spawn", Verdict::dangerous},
        Judged{"asyncio.subprocess", "create_subprocess_shell", Verdict::dangerous},
        Judged{"code", "interact", Verdict::dangerous}, Judged{"_posixsubprocess", "fork_exec", Verdict::dangerous},
        Judged{"torch.serialization", "load", Verdict::dangerous},
        Judged{"torch.storage", "_load_from_bytes", Verdict::dangerous},
        Judged{"operator", "attrgetter", Verdict::dangerous}, Judged{"functools", "partial", Verdict::dangerous},
        Judged{"torch.nn.modules.linear", "Linear", Verdict::unknown}, Judged{"__main__", "Net", Verdict::unknown},
        Judged{"osx", "system", Verdict::unknown}, Judged{"torch", "serialization.os.system", Verdict::dangerous},
        Judged{"collections", "OrderedDict.fromkeys", Verdict::dangerous},
        Judged{"torch._utils", "_rebuild_tensor_v2", Verdict::safe}));

}  // namespace
}  // namespace ckpt::torch
