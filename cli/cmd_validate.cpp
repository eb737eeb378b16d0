// Placeholder registration until the validate command lands.
#include "commands.hpp"
namespace ckpt::cli {
void add_validate_command(CLI::App&, int&) {}
}  // namespace ckpt::cli
