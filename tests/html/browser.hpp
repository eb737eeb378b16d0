#pragma once
// Headless Chromium for the HTML report tests: the page's DOM after its script ran, the
// console messages it logged, and a screenshot decoded to pixels. Each run gets a fresh
// profile folder and the flags that keep Chromium off the network; a run that does not
// finish within the timeout is killed with its process group.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::test {

// $CKPT_CHROMIUM, else the first of chromium, chromium-browser, google-chrome found on
// PATH; "" when none is.
std::string chromium_path();

// "" when Chromium starts and renders a trivial page here, else why not (checked once).
const std::string& chromium_unavailable();

struct PageDump {
  std::string dom;                   // document.documentElement.outerHTML after load
  std::vector<std::string> console;  // every console message the page logged (errors included)
};
// Loads a local file; nullopt when Chromium failed.
std::optional<PageDump> dump_dom(const std::string& html_file);

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes a pixel
  // Pixels of exactly this colour ("#rrggbb").
  size_t count(const std::string& hex) const;
  size_t distinct_colors() const;
};
// A screenshot of the page at width x height; nullopt when Chromium or decoding failed.
std::optional<Image> screenshot(const std::string& html_file, int width, int height);

}  // namespace ckpt::test
