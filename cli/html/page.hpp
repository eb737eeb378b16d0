#pragma once
// One self-contained HTML page: inline CSS, inline SVG, one small inline script, nothing
// loaded from anywhere (it opens offline from a CI artifact), and the atomic write that
// puts it on disk.
#include <string>
#include <string_view>
#include <vector>

#include "outcome.hpp"

namespace ckpt::cli::html {

// The whole document around `body` (which starts with the page's <header>). The script
// runs once the page has loaded and sets data-ready="1" on <body> when it finished
// without an error: tests and people can tell a page whose script broke.
std::string page(std::string_view title, std::string_view body);

// Writes the page atomically (a temporary file renamed over `path`). Refuses, before
// anything is read, to overwrite one of `inputs` (the report must never replace what it
// reports on): check_output() is that check alone. Errors go to `out` as usage errors
// naming `flag`; returns false then.
bool check_output(const std::string& flag, const std::string& path, const std::vector<std::string>& inputs,
                  Outcome& out);
bool write_page(const std::string& flag, const std::string& path, const std::string& html, Outcome& out);

}  // namespace ckpt::cli::html
