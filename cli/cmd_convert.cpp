// `ckpt convert IN OUT --to FORMAT`: the reference writer on the command line.
#include <fmt/core.h>

#include <csignal>
#include <cstring>
#include <signal.h>  // sigprocmask (POSIX)
#include <unistd.h>

#include "ckpt/byte_sink.hpp"
#include "ckpt/convert.hpp"
#include "commands.hpp"
#include "input.hpp"

namespace ckpt::cli {

namespace {

// An interrupt must not leave a half-written temporary file behind: the handler removes
// it (unlink is async-signal-safe) and then dies of the same signal.
char g_temp_path[4096];
void remove_temp_and_die(int sig) {
  if (g_temp_path[0]) ::unlink(g_temp_path);
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
  // Records the temporary file and lets pending and later signals through.
  void arm(const std::string& temp_path) {
    std::strncpy(g_temp_path, temp_path.c_str(), sizeof g_temp_path - 1);
    unblock();
  }
  ~TempGuard() {
    for (int sig : kSignals) std::signal(sig, SIG_DFL);
    g_temp_path[0] = '\0';
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
  auto plan = plan_conversion(*cp, opt);
  if (!plan) return out.error(a.in, plan.error());
  // SIGXFSZ kills by default: ignore it so that a size limit is an ordinary write error.
  std::signal(SIGXFSZ, SIG_IGN);
  TempGuard guard;
  auto file = AtomicFile::create(a.out);
  if (!file) return out.error("", file.error());  // the message names the folder
  guard.arm((*file)->temp_path());
  auto stats = write_conversion(**file, *cp, *plan);
  // On failure the AtomicFile destructor removes the temporary file.
  if (!stats) return out.error(a.out, stats.error());
  if (auto done = (*file)->commit(); !done) return out.error(a.out, done.error());
  for (const auto& note : plan->notes) out.note(note);
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
  sub->add_option("--group-size", args->group_size, "Q8_0 group size (default: the input's, else 64 halved until it divides dim)");
  sub->add_flag("--allow-lossy", args->allow_lossy, "allow conversions that lose information");
  sub->add_flag("--force", args->force, "allow replacing the input file (still atomic)");
  sub->add_option("--format", args->format, "force the input's layout instead of detecting it");
  sub->add_option("--prefix", args->prefix, "ttml-msgpack output: the key prefix of the model (default llama/llama)");
  sub->add_option("--n-heads", args->n_heads, "ttml-msgpack input: number of attention heads (not stored in the file)");
  sub->add_option("--vocab-size", args->vocab_size,
                  "ttml-msgpack input: vocabulary size; drops the padding rows (default: the padded rows)");
  sub->add_option("--seq-len", args->seq_len, "ttml-msgpack input: sequence length for the header (not stored in the file)");
  sub->callback([args, &exit_code] { exit_code = emit(run_convert(*args), false, "ckpt.convert/1"); });
}

}  // namespace ckpt::cli
