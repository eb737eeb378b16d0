// `ckpt convert IN OUT --to FORMAT`: the reference writer on the command line.
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>  // sigprocmask (POSIX)
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>

#include "ckpt/byte_sink.hpp"
#include "ckpt/canonical.hpp"
#include "ckpt/convert.hpp"
#include "ckpt/folder.hpp"
#include "commands.hpp"
#include "input.hpp"
#include "progress.hpp"

namespace ckpt::cli {

namespace {

// An interrupt must not leave a half-written temporary file or folder behind: the
// handler removes it with async-signal-safe calls only (unlink; for a folder, the
// getdents64 system call, unlinkat and rmdir) and then dies of the same signal.
char g_temp_path[4096];
volatile sig_atomic_t g_temp_is_folder = 0;

void remove_temp_folder(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) static char buf[8192];
  for (;;) {
    const long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long at = 0; at < n;) {
      // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
      unsigned short reclen;
      std::memcpy(&reclen, buf + at + 16, 2);
      const char* name = buf + at + 19;
      if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0) ::unlinkat(fd, name, 0);
      at += reclen;
    }
  }
  ::close(fd);
  ::rmdir(path);
}

void remove_temp_and_die(int sig) {
  if (g_temp_path[0]) {
    if (g_temp_is_folder)
      remove_temp_folder(g_temp_path);
    else
      ::unlink(g_temp_path);
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Installs the handler and blocks the signals until the temporary file's path is
// recorded: an interrupt at any moment either comes before the file exists or finds its
// path (without the block, a SIGINT right after the file was created left it behind).
class TempGuard {
 public:
  TempGuard() {
    sigset_t signals;
    sigemptyset(&signals);
    for (int sig : kSignals) sigaddset(&signals, sig);
    ::sigprocmask(SIG_BLOCK, &signals, &previous_);
    for (int sig : kSignals) std::signal(sig, remove_temp_and_die);
  }
  // Records the temporary file (or folder) and lets pending and later signals through.
  void arm(const std::string& temp_path, bool folder = false) {
    std::strncpy(g_temp_path, temp_path.c_str(), sizeof g_temp_path - 1);
    g_temp_is_folder = folder;
    unblock();
  }
  ~TempGuard() {
    for (int sig : kSignals) std::signal(sig, SIG_DFL);
    g_temp_path[0] = '\0';
    g_temp_is_folder = 0;
    unblock();
  }

 private:
  void unblock() {
    if (blocked_) ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
    blocked_ = false;
  }

  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
  sigset_t previous_;
  bool blocked_ = true;
};

// "5GB", "2GiB", "1000000": bytes, as transformers' convert_file_size_to_int reads them.
std::optional<uint64_t> parse_size(const std::string& text) {
  size_t used = 0;
  uint64_t n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  static const std::pair<const char*, uint64_t> kUnits[] = {{"", 1},
                                                            {"B", 1},
                                                            {"KB", 1000},
                                                            {"MB", 1000000},
                                                            {"GB", 1000000000},
                                                            {"KiB", 1 << 10},
                                                            {"MiB", 1ull << 20},
                                                            {"GiB", 1ull << 30}};
  for (const auto& [u, mult] : kUnits)
    if (unit == u) return n <= UINT64_MAX / mult ? std::optional<uint64_t>(n * mult) : std::nullopt;
  return std::nullopt;
}

// The output's size, roughly, for the progress line's time left: the weights at the
// target's bytes per value (Q8_0 with its scales, msgpack's float32 with its type byte).
uint64_t approximate_output_bytes(const ConvertPlan& plan) {
  uint64_t params = 0;
  for (const auto& t : canonical_llama_tensors(plan.config)) params += t.numel;
  double per = 4;
  if (plan.config.group_size > 0)
    per = 1 + 4.0 / double(plan.config.group_size);
  else if (plan.to.has_tag("folder") && plan.dtype != DType::f32)
    per = 2;
  else if (plan.to.name() == "ttml-msgpack")
    per = 5;
  return uint64_t(double(params) * per);
}

}  // namespace

Outcome run_convert(const ConvertArgs& a) {
  Outcome out;
  std::optional<Format> to, forced;
  if (!parse_format_option(a.to, to, out) || !parse_format_option(a.format, forced, out)) return out;
  if (!to) return out.usage_error("convert needs --to FORMAT");
  if (same_file(a.in, a.out) && !a.force)
    return out.usage_error(
        fmt::format("{}: refusing to overwrite the input (pass --force to replace it atomically)", a.out));
  auto cp = open_input(a.in, forced, out);
  if (!cp) return out;
  ConvertOptions opt;
  opt.to = *to;
  if (a.group_size > 0) opt.group_size = a.group_size;
  opt.allow_lossy = a.allow_lossy;
  if (a.n_heads > 0) opt.n_heads = a.n_heads;
  if (a.vocab_size > 0) opt.vocab_size = a.vocab_size;
  if (a.seq_len > 0) opt.seq_len = a.seq_len;
  opt.prefix = a.prefix;
  opt.ttml_template = a.ttml_template;
  opt.meta_style = a.meta_style;
  if (!a.dtype.empty()) {
    if (a.dtype == "f32")
      opt.dtype = DType::f32;
    else if (a.dtype == "bf16")
      opt.dtype = DType::bf16;
    else if (a.dtype == "f16")
      opt.dtype = DType::f16;
    else
      return out.usage_error(fmt::format("--dtype {}: f32, bf16 or f16", a.dtype));
  }
  if (!a.max_shard_size.empty()) {
    const auto bytes = parse_size(a.max_shard_size);
    if (!bytes || *bytes == 0)
      return out.usage_error(fmt::format("--max-shard-size {}: a size such as 5GB, 2GiB or 1000000", a.max_shard_size));
    opt.max_shard_bytes = *bytes;
  }
  auto plan = plan_conversion(*cp, opt);
  if (!plan) return out.error(a.in, plan.error());
  // SIGXFSZ kills by default: ignore it so that a size limit is an ordinary write error.
  std::signal(SIGXFSZ, SIG_IGN);
  TempGuard guard;
  const uint64_t expected = approximate_output_bytes(*plan);
  if (to->has_tag("folder")) {
    // Folder outputs: a temporary folder renamed onto the target, which must not hold
    // anything (a folder is never merged into or replaced).
    if (is_folder(a.out) ? !std::filesystem::is_empty(a.out) : std::filesystem::exists(a.out))
      return out.usage_error(fmt::format("{}: exists; the output folder must be new or empty", a.out));
    auto folder = AtomicFolder::create(a.out);
    if (!folder) return out.error("", folder.error());
    guard.arm((*folder)->temp_path(), true);
    auto stats = [&] {
      Progress progress((*folder)->temp_path(), expected);
      return write_conversion(**folder, *cp, *plan);
    }();
    if (!stats) return out.error(a.out, stats.error());
    if (is_folder(a.out)) std::filesystem::remove(a.out);  // empty: rename(2) replaces only an empty folder
    if (auto done = (*folder)->commit(); !done) return out.error(a.out, done.error());
    for (const auto& note : plan->notes) out.note(note);
    out.info(fmt::format("wrote {} ({}, {} bytes)", a.out, to->name(), stats->bytes));
    return out;
  }
  auto file = AtomicFile::create(a.out);
  if (!file) return out.error("", file.error());  // the message names the folder
  guard.arm((*file)->temp_path());
  auto stats = [&] {
    Progress progress((*file)->temp_path(), expected);
    return write_conversion(**file, *cp, *plan);
  }();
  // On failure the AtomicFile destructor removes the temporary file.
  if (!stats) return out.error(a.out, stats.error());
  if (auto done = (*file)->commit(); !done) return out.error(a.out, done.error());
  for (const auto& note : plan->notes) out.note(note);
  for (const auto& note : stats->notes) out.note(note);
  if (plan->config.group_size > 0 && stats->copied_q8 == 0)
    out.note(fmt::format("max quantization error {:.6g}", stats->max_quant_error));
  out.info(fmt::format("wrote {} ({}, {} bytes)", a.out, to->name(), stats->bytes));
  return out;
}

void add_convert_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ConvertArgs>();
  auto* sub = app.add_subcommand("convert", "Write a file in another layout, byte-exact with the original exporters");
  sub->add_option("input", args->in, "the file to read")->required();
  sub->add_option("output", args->out, "the file to write (atomically)")->required();
  sub->add_option("--to", args->to, "the output format")->required();
  sub->add_option("--group-size", args->group_size,
                  "Q8_0 group size (default: the input's, else 64 halved until it divides dim)");
  sub->add_flag("--allow-lossy", args->allow_lossy, "allow conversions that lose information");
  sub->add_flag("--force", args->force, "allow replacing the input file (still atomic)");
  sub->add_option("--format", args->format, "force the input's layout instead of detecting it");
  sub->add_option("--prefix", args->prefix, "ttml-msgpack output: the key prefix of the model (default llama/llama)");
  sub->add_option("--template", args->ttml_template,
                  "ttml-msgpack output as tt-train's llama_export.py writes it: the msgpack tt-train dumped from an "
                  "initialised model (its entries and order are kept, the Llama parameters replaced)");
  sub->add_flag("--meta-style", args->meta_style,
                "with --template: keep q/k rows in Hugging Face's rotary layout (llama_export.py --meta_style)");
  sub->add_option("--n-heads", args->n_heads, "ttml-msgpack input: number of attention heads (not stored in the file)");
  sub->add_option("--vocab-size", args->vocab_size,
                  "ttml-msgpack input: vocabulary size; drops the padding rows (default: the padded rows)");
  sub->add_option("--seq-len", args->seq_len,
                  "sequence length for sources that do not store it (tt-train files, Meta folders)");
  sub->add_option("--dtype", args->dtype, "hf-safetensors output: f32 (default), bf16 or f16");
  sub->add_option("--max-shard-size", args->max_shard_size,
                  "hf-safetensors output: shard above this size (default 5GB; units B, KB, MB, GB, KiB, MiB, GiB)");
  sub->callback([args, &exit_code] { exit_code = emit(run_convert(*args), false, "ckpt.convert/1"); });
}

}  // namespace ckpt::cli
