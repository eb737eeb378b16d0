// Every way a pickle can be broken or exceed a limit: the exact rule and the offset of
// the opcode, and reading stops there (no crash, no allocation from the bad number).
#include <gtest/gtest.h>

#include <functional>

#include "pickle_builder.hpp"
#include "pickle_reader.hpp"
#include "test_util.hpp"
#include "torch_pickle.hpp"

namespace ckpt::torch {
namespace {

using test::PickleBuilder;

struct FailureCase {
  const char* name;
  std::function<void(PickleBuilder&, PickleLimits&, size_t& expect_offset)> build;
  const char* rule;
  bool complete = false;  // true for findings that do not stop the pickle
};

class PickleFailures : public ::testing::TestWithParam<FailureCase> {};

TEST_P(PickleFailures, RuleAndOffset) {
  PickleBuilder p;
  PickleLimits lim;
  size_t expect = 0;
  GetParam().build(p, lim, expect);
  auto src = p.source();
  auto r = unpickle(src, 0, src.size(), lim);
  ASSERT_TRUE(r.ok());
  const Finding* f = test::find_rule(r->findings, GetParam().rule);
  ASSERT_NE(f, nullptr) << test::rules_of(r->findings);
  ASSERT_TRUE(f->offset.has_value());
  EXPECT_EQ(*f->offset, expect) << f->message;
  EXPECT_EQ(r->complete, GetParam().complete) << test::rules_of(r->findings);
}

const FailureCase kCases[] = {
    {"Empty", [](PickleBuilder&, PickleLimits&, size_t& at) { at = 0; }, "pickle.truncated"},
    {"NoStop",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.proto().none();
       at = p.at();
     },
     "pickle.truncated"},
    {"CutInsideArgument",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.proto();
       at = p.at();
       p.op('X').u32(5).text("ab");
     },
     "pickle.truncated"},
    {"CutInsideLength",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.proto();
       at = p.at();
       p.op('X').u8(5);
     },
     "pickle.truncated"},
    {"TextLineWithoutNewline",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('c').text("os");
     },
     "pickle.truncated"},
    {"FrameLongerThanInput",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.proto(4);
       at = p.at();
       p.op(0x95).u64(1000).none().stop();
     },
     "pickle.truncated"},
    {"BadOpcode",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.proto();
       at = p.at();
       p.op(0xff);
     },
     "pickle.bad_opcode"},
    {"MemoMiss",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.proto().none().put(0);
       at = p.at();
       p.get(5);
     },
     "pickle.memo_missing"},
    {"LongMemoMiss",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('j').u32(0xFFFFFFFF);
     },
     "pickle.memo_missing"},
    {"StackUnderflowReduce",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.proto().none();
       at = p.at();
       p.reduce();
     },
     "pickle.stack_underflow"},
    {"UnderflowBelowMark",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.none().none().mark();
       at = p.at();
       p.tuple2();
     },
     "pickle.stack_underflow"},
    {"StopOnEmptyStack",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.stop();
     },
     "pickle.stack_underflow"},
    {"PopOnEmptyStack",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('0');
     },
     "pickle.stack_underflow"},
    {"PutOnEmptyStack",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.put(0);
     },
     "pickle.stack_underflow"},
    {"TupleWithoutMark",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.none();
       at = p.at();
       p.tuple();
     },
     "pickle.mark_missing"},
    {"ObjWithoutClass",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.mark();
       at = p.at();
       p.op('o');
     },
     "pickle.stack_underflow"},
    {"IntNotDecimal",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('I').line("12x");
     },
     "pickle.bad_argument"},
    {"LongNotDecimal",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('L').line("L");
     },
     "pickle.bad_argument"},
    {"FloatNotFloat",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('F').line("1.2.3");
     },
     "pickle.bad_argument"},
    {"StringUnquoted",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('S').line("abc");
     },
     "pickle.bad_argument"},
    {"StringBadEscape",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('S').line("'\\x4'");
     },
     "pickle.bad_argument"},
    {"UnicodeBadEscape",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('V').line("\\u12");
     },
     "pickle.bad_argument"},
    {"BinstringNegativeLength",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('T').u32(0x80000000u);
     },
     "pickle.bad_argument"},
    {"Long4NegativeLength",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op(0x8b).u32(0xFFFFFFFFu);
     },
     "pickle.bad_argument"},
    {"GetIndexNotDecimal",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('g').line("-1");
     },
     "pickle.bad_argument"},
    {"Utf8Invalid",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.str("\xff\xfe");
     },
     "pickle.bad_utf8"},
    {"DictOddItems",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.mark().none();
       at = p.at();
       p.op('d');
     },
     "pickle.bad_operand"},
    {"SetitemsOnList",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.empty_list().mark().none().none();
       at = p.at();
       p.setitems();
     },
     "pickle.bad_operand"},
    {"AppendToInt",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.int1(1).none();
       at = p.at();
       p.append();
     },
     "pickle.bad_operand"},
    {"AdditemsToFrozenset",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.mark().op(0x91).mark().none();
       at = p.at();
       p.op(0x90);
     },
     "pickle.bad_operand"},
    {"NextBuffer",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.proto(5);
       at = p.at();
       p.op(0x97);
     },
     "pickle.out_of_band"},
    {"ReadonlyBuffer",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.proto(5).none();
       at = p.at();
       p.op(0x98);
     },
     "pickle.out_of_band"},
    {"String2Pow31",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('X').u32(0x80000000u);
     },
     "pickle.limit_string"},
    {"Bytes2Pow63",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op(0x8e).u64(1ull << 63);
     },
     "pickle.limit_string"},
    {"Unicode8Max",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op(0x8d).u64(~0ull);
     },
     "pickle.limit_string"},
    {"Bytes2Pow63WithoutStringLimit",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_string = ~0ull;
       at = p.at();
       p.op(0x8e).u64(1ull << 63);
     },
     "pickle.truncated"},
    {"Long4Huge",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op(0x8b).u32(0x7FFFFFFF);
     },
     "pickle.limit_string"},
    {"TextLineTooLong",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_string = 8;
       at = p.at();
       p.op('c').line("0123456789");
     },
     "pickle.limit_string"},
    {"Nesting",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_nesting = 3;
       p.mark().mark().mark();
       at = p.at();
       p.mark();
     },
     "pickle.limit_nesting"},
    {"Stack",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_stack = 3;
       p.none().none().none();
       at = p.at();
       p.none();
     },
     "pickle.limit_stack"},
    {"Objects",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_objects = 2;
       p.none().none();
       at = p.at();
       p.none();
     },
     "pickle.limit_objects"},
    {"MemoIndex",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_memo = 4;
       p.none();
       at = p.at();
       p.op('r').u32(4);
     },
     "pickle.limit_memo"},
    {"MemoIndexHuge",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.none();
       at = p.at();
       p.op('r').u32(0xFFFFFFFF);
     },
     "pickle.limit_memo"},
    {"MemoEntries",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_memo = 2;
       p.none().op(0x94).op(0x94);
       at = p.at();
       p.op(0x94);
     },
     "pickle.limit_memo"},
    {"Container",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_container = 2;
       p.empty_list().mark().none().none().op('e').mark().none();
       at = p.at();
       p.op('e');
     },
     "pickle.limit_container"},
    {"Opcodes",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_opcodes = 3;
       p.none().none().none();
       at = p.at();
       p.stop();
     },
     "pickle.limit_opcodes"},
    {"Bytes",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_bytes = 4;
       p.none().none().none().none();
       at = p.at();
       p.stop();
     },
     "pickle.limit_bytes"},
    {"BytesInsideArgument",
     [](PickleBuilder& p, PickleLimits& l, size_t& at) {
       l.max_bytes = 6;
       p.none();
       at = p.at();
       p.str("abcdef").stop();
     },
     "pickle.limit_bytes"},
    // Findings that do not stop reading.
    {"ProtocolAbove5",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.proto(9).none().stop();
     },
     "pickle.protocol", true},
    {"LeftoverStack",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.none().none();
       at = p.at();
       p.stop();
     },
     "pickle.leftover_stack", true},
    {"LeftoverMark",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       p.mark().none();
       at = p.at();
       p.stop();
     },
     "pickle.leftover_stack", true},
    {"BigLong1",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op(0x8a).u8(9).u64(0).u8(1).stop();
     },
     "pickle.big_int", true},
    {"BigTextLong",
     [](PickleBuilder& p, PickleLimits&, size_t& at) {
       at = p.at();
       p.op('L').line("99999999999999999999999L").stop();
     },
     "pickle.big_int", true},
};

INSTANTIATE_TEST_SUITE_P(Table, PickleFailures, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PickleFailures, Long1WithRedundantSignBytesStillFitsInt64) {
  PickleBuilder p;
  p.op(0x8a).u8(9).u64(~0ull).u8(0xff).stop();  // -1 in 9 bytes
  auto src = p.source();
  auto r = unpickle(src, 0, src.size());
  ASSERT_TRUE(r.ok() && r->complete);
  int64_t v = 0;
  ASSERT_TRUE(r->graph.integer(r->root, v));
  EXPECT_EQ(v, -1);
  EXPECT_TRUE(r->findings.empty());
}

TEST(PickleFailures, CyclesCostNothingAndTheWalkEnds) {
  // l = []; l.append(l); d = {'x': l}; d['self'] = d
  PickleBuilder p;
  p.proto(2).empty_dict().put(0).str("x").empty_list().put(1).get(1).append().setitem();
  p.str("self").get(0).setitem().stop();
  auto src = p.source();
  auto r = unpickle(src, 0, src.size());
  ASSERT_TRUE(r.ok() && r->complete) << test::rules_of(r->findings);
  const PyObj& l = r->graph.at(r->graph.at(r->root).pairs[1]);
  ASSERT_EQ(l.items.size(), 1u);
  EXPECT_EQ(l.items[0], r->graph.at(r->root).pairs[1]);
  auto m = interpret_torch_pickle(*r);
  EXPECT_TRUE(m.tensors.empty());
  EXPECT_EQ(m.root_kind, "dict");
}

TEST(PickleFailures, ExponentiallySharedTreeStopsAtTheVisitBudget) {
  // a0 = [], a1 = [a0, a0], a2 = [a1, a1], ... a40: 2^40 paths, 41 objects.
  PickleBuilder p;
  p.proto(2).empty_list().put(0);
  for (int k = 1; k <= 40; ++k) p.mark().get(uint8_t(k - 1)).get(uint8_t(k - 1)).op('l').put(uint8_t(k));
  p.stop();
  auto src = p.source();
  auto r = unpickle(src, 0, src.size());
  ASSERT_TRUE(r.ok() && r->complete);
  TorchWalkLimits wl;
  wl.max_visits = 10000;
  auto m = interpret_torch_pickle(*r, wl);
  EXPECT_EQ(test::count_rule(m.findings, "torch.tree_too_deep"), 1u);
}

TEST(PickleFailures, DeepNestingOfContainersIsWalkedToTheCapOnly) {
  // 200 nested lists: the walk stops at max_depth with one finding, without recursing further.
  PickleBuilder p;
  p.proto(2);
  for (int k = 0; k < 200; ++k) p.empty_list();
  for (int k = 0; k < 199; ++k) p.append();
  p.stop();
  auto src = p.source();
  auto r = unpickle(src, 0, src.size());
  ASSERT_TRUE(r.ok() && r->complete) << test::rules_of(r->findings);
  auto m = interpret_torch_pickle(*r);
  ASSERT_EQ(test::count_rule(m.findings, "torch.tree_too_deep"), 1u);
}

}  // namespace
}  // namespace ckpt::torch
