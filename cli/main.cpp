// ckpt: inspect, validate, diff and convert llama2.c and tt-train weight files.
#include <cstdio>
#include <exception>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ckpt: inspect, validate, diff and convert llama2.c and tt-train weight files", "ckpt"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ckpt 0.1.0");
  int exit_code = ckpt::cli::kExitOk;
  ckpt::cli::add_inspect_command(app, exit_code);
  ckpt::cli::add_validate_command(app, exit_code);
  ckpt::cli::add_diff_command(app, exit_code);
  ckpt::cli::add_convert_command(app, exit_code);
  ckpt::cli::add_hash_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : ckpt::cli::kExitCannotRun;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ckpt: internal error: %s\n", e.what());
    return ckpt::cli::kExitCannotRun;
  }
  return exit_code;
}
