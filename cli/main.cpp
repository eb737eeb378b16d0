// ckpt: inspect, validate, diff, convert and hash LLM weight files.
#include <cstdio>
#include <exception>

#include "commands.hpp"

int main(int argc, char** argv) {
  using ckpt::cli::Verdict;
  CLI::App app{"ckpt: inspect, validate, diff, convert and hash LLM weight files", "ckpt"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ckpt " CKPT_VERSION);  // CMake's project version
  int exit_code = ckpt::cli::exit_code(Verdict::ok);
  ckpt::cli::add_inspect_command(app, exit_code);
  ckpt::cli::add_validate_command(app, exit_code);
  ckpt::cli::add_diff_command(app, exit_code);
  ckpt::cli::add_convert_command(app, exit_code);
  ckpt::cli::add_hash_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints usage errors and --help itself; usage errors are "could not run".
    const int code = app.exit(e);
    return code == 0 ? 0 : ckpt::cli::exit_code(Verdict::cannot_run);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ckpt: internal error: %s\n", e.what());
    return ckpt::cli::exit_code(Verdict::cannot_run);
  }
  return exit_code;
}
