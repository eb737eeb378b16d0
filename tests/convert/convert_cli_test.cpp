// `ckpt convert` end to end: byte-exact outputs, and writes that never lose data.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"
#include "test_support.hpp"

namespace ckpt {
namespace {

using test::fixture_path;
using test::run_ckpt;

// Names of the files in a folder, to prove that no temporary file was left behind.
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") names.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string fresh_dir(const std::string& name) {
  std::string dir = test::temp_dir() + "/" + name;
  ::mkdir(dir.c_str(), 0755);
  return dir;
}

TEST(ConvertCli, EveryLayoutPairGivesTheReferenceBytes) {
  const std::string dir = fresh_dir("pairs");
  const char* layouts[] = {"llama2c-v0", "ak42-v1-fp32", "ak42-v2-q8_0", "ak42-v2-q8_0-scales-last", "ak42-v1-q8_0"};
  for (const char* from : {"llama2c-v0", "ak42-v1-fp32"}) {
    for (const char* to : layouts) {
      const std::string out = dir + "/" + std::string(from) + "-to-" + to + ".bin";
      auto r = run_ckpt({"convert", fixture_path(std::string("gqa-") + from + ".bin"), out, "--to", to});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_TRUE(test::read_file(out) == test::read_file(fixture_path(std::string("gqa-") + to + ".bin")))
          << from << " -> " << to;
    }
  }
}

TEST(ConvertCli, QuantizedInputsConvertAndSaySo) {
  const std::string dir = fresh_dir("q8");
  auto r =
      run_ckpt({"convert", fixture_path("gqa-ak42-v2-q8_0.bin"), dir + "/sl.bin", "--to", "ak42-v2-q8_0-scales-last"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(test::read_file(dir + "/sl.bin") == test::read_file(fixture_path("gqa-ak42-v2-q8_0-scales-last.bin")));
  auto d = run_ckpt({"convert", fixture_path("gqa-ak42-v2-q8_0.bin"), dir + "/deq.bin", "--to", "ak42-v1-fp32"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.err.find("dequantized"), std::string::npos);
  auto lossy = run_ckpt({"convert", fixture_path("untied-llama2c-v0.bin"), dir + "/draft.bin", "--to", "ak42-v1-q8_0"});
  EXPECT_EQ(lossy.exit_code, 2);
  EXPECT_NE(lossy.err.find("--allow-lossy"), std::string::npos);
  EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"deq.bin", "sl.bin"}));
  auto allowed = run_ckpt(
      {"convert", fixture_path("untied-llama2c-v0.bin"), dir + "/draft.bin", "--to", "ak42-v1-q8_0", "--allow-lossy"});
  EXPECT_EQ(allowed.exit_code, 0);
  EXPECT_TRUE(test::read_file(dir + "/draft.bin") == test::read_file(fixture_path("untied-ak42-v1-q8_0.bin")));
}

TEST(ConvertCli, RefusesToOverwriteItsInput) {
  const std::string dir = fresh_dir("self");
  const std::string in = dir + "/model.bin";
  test::write_temp("self/model.bin", test::read_file(fixture_path("gqa-llama2c-v0.bin")));
  const auto before = test::read_file(in);
  auto same = run_ckpt({"convert", in, in, "--to", "ak42-v1-fp32"});
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_NE(same.err.find("refusing to overwrite the input"), std::string::npos);
  ASSERT_EQ(::link(in.c_str(), (dir + "/hardlink.bin").c_str()), 0);
  ASSERT_EQ(::symlink(in.c_str(), (dir + "/symlink.bin").c_str()), 0);
  EXPECT_EQ(run_ckpt({"convert", in, dir + "/hardlink.bin", "--to", "ak42-v1-fp32"}).exit_code, 2);
  EXPECT_EQ(run_ckpt({"convert", in, dir + "/symlink.bin", "--to", "ak42-v1-fp32"}).exit_code, 2);
  EXPECT_TRUE(test::read_file(in) == before);
  // --force replaces it atomically: the new content comes from the old one.
  auto forced = run_ckpt({"convert", in, in, "--to", "ak42-v1-fp32", "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(test::read_file(in) == test::read_file(fixture_path("gqa-ak42-v1-fp32.bin")));
}

TEST(ConvertCli, MissingFolderFailsCleanly) {
  auto r = run_ckpt(
      {"convert", fixture_path("gqa-llama2c-v0.bin"), test::temp_dir() + "/no/such/out.bin", "--to", "ak42-v1-fp32"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot create a temporary file next to"), std::string::npos) << r.err;
}

TEST(ConvertCli, ReadOnlyFolderFailsCleanly) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores folder permissions (MissingFolderFailsCleanly covers root)";
  const std::string dir = fresh_dir("readonly");
  ::chmod(dir.c_str(), 0555);
  auto r = run_ckpt({"convert", fixture_path("gqa-llama2c-v0.bin"), dir + "/out.bin", "--to", "ak42-v1-fp32"});
  ::chmod(dir.c_str(), 0755);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(list_dir(dir).empty());
}

TEST(ConvertCli, FileSizeLimitLeavesTargetUntouchedAndNoTemporary) {
  const std::string dir = fresh_dir("fsize");
  const std::string target = dir + "/out.bin";
  test::write_temp("fsize/out.bin", {'o', 'l', 'd'});
  // A 100 KB size limit for the child: the 389 KB output cannot be written.
  const std::string cmd = "prlimit --fsize=100000 " + std::string(CKPT_BINARY) + " convert " +
                          fixture_path("gqa-ak42-v1-fp32.bin") + " " + target + " --to llama2c-v0 2>" + dir +
                          "/../fsize.err";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_EQ(test::read_file(target), (std::vector<uint8_t>{'o', 'l', 'd'}));
  EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"out.bin"}));
  const auto err = test::read_file(test::temp_dir() + "/fsize.err");
  EXPECT_NE(std::string(err.begin(), err.end()).find("File too large"), std::string::npos);
}

TEST(ConvertCli, InterruptLeavesNoTemporaryFile) {
  // A large enough conversion to be interrupted in the middle: 64 MB of fp32.
  ModelConfig c = test::gqa_config();
  c.vocab_size = 250000;
  MemoryWeights w;
  auto specs = llama2c::tensor_specs(llama2c::ak42_v1_fp32, c);
  for (const auto& s : *specs) w.tensors[s.name] = std::vector<float>(s.numel, 0.5f);
  const std::string dir = fresh_dir("sigint");
  const std::string in = test::write_temp("sigint-in.bin", test::write_bytes(llama2c::ak42_v1_fp32, c, w));
  const std::string target = dir + "/out.bin";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(CKPT_BINARY, CKPT_BINARY, "convert", in.c_str(), target.c_str(), "--to", "ak42-v2-q8_0", (char*)nullptr);
    ::_exit(127);
  }
  // Wait until the temporary file exists (generously: a loaded machine is slow to start
  // the binary), then interrupt.
  for (int i = 0; i < 20000 && list_dir(dir).empty(); ++i) ::usleep(1000);
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) GTEST_SKIP() << "finished before the interrupt";
  EXPECT_TRUE(WIFSIGNALED(status));
  // No temporary file is left. Only a signal that lands between the rename and the exit
  // leaves the (then complete) target.
  for (const auto& name : list_dir(dir)) EXPECT_EQ(name, "out.bin");
}

}  // namespace
}  // namespace ckpt
