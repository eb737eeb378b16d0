#pragma once
// Each subcommand registers itself on the app and sets the process exit code when run.
// Exit codes (the only place they are decided): 0 ok, 1 finding (invalid, differs), 2
// could not run (usage, unreadable file, no known format).
#include <CLI/CLI.hpp>

namespace ckpt::cli {

constexpr int kExitOk = 0;
constexpr int kExitFinding = 1;
constexpr int kExitCannotRun = 2;

void add_inspect_command(CLI::App& app, int& exit_code);
void add_convert_command(CLI::App& app, int& exit_code);
void add_validate_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);
void add_hash_command(CLI::App& app, int& exit_code);

}  // namespace ckpt::cli
