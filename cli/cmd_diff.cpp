// Placeholder registration until the diff command lands.
#include "commands.hpp"
namespace ckpt::cli {
void add_diff_command(CLI::App&, int&) {}
}  // namespace ckpt::cli
