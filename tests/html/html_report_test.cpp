// The HTML reports (`diff --html`, `inspect --html`) rendered in headless Chromium and
// checked as a person would look at them: the page loads with no console message and its
// script ran, the heatmap has one cell per compared tensor with the colours a known pair
// must have, the screenshot shows those colours, a truncated file still draws its byte map
// with the break. Skipped, with the reason, only when Chromium cannot start.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "../diff/diff_test_util.hpp"
#include "browser.hpp"
#include "llama2c/formats.hpp"
#include "test_support.hpp"

namespace ckpt::test {
namespace {

#define REQUIRE_CHROMIUM()                                                                                    \
  do {                                                                                                        \
    if (!chromium_unavailable().empty()) GTEST_SKIP() << "Chromium cannot start: " << chromium_unavailable(); \
  } while (0)

constexpr const char* kEqual = "#d3e8d6";     // bit-identical
constexpr const char* kDarkest = "#800026";   // max |a - b| >= 10: the top of the scale
constexpr const char* kLightest = "#ffffcc";  // max |a - b| <= 1e-7: the bottom

// A v0 pair of the gqa config (2 layers): layer 0's wq rotary-permuted, one element of
// layer 1's w2 off by 100, one element of layer 1's w1 off by one ulp; the rest equal.
struct KnownPair {
  std::string a, b;
};
KnownPair known_pair() {
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  auto& wq = tensor(w, "layers.0.attention.wq.weight");
  wq = hf_to_meta(wq, 8, 64);
  tensor(w, "layers.1.feed_forward.w2.weight")[5 * 172 + 101] += 100.0f;
  float& x = tensor(w, "layers.1.feed_forward.w1.weight")[7];
  x = std::nextafter(x, 1.0f);
  return {write_temp("known-a.bin", write_bytes(llama2c::v0, c)),
          write_temp("known-b.bin", write_bytes(llama2c::v0, c, w))};
}

struct CellSeen {
  std::string fill, status, diagnosis;
};
// The heatmap cells of a dumped page by tensor: the fill they show and their marks.
std::map<std::string, CellSeen> cells_of(const std::string& dom) {
  std::map<std::string, CellSeen> out;
  static const std::regex cell(R"re(<g class="cell"([^>]*)>\s*<rect class="fill"[^>]*\sfill="([^"]+)")re");
  static const std::regex attr(R"re(data-(tensor|status|diagnosis)="([^"]*)")re");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), cell); it != std::sregex_iterator(); ++it) {
    const std::string attrs = (*it)[1];
    std::map<std::string, std::string> a;
    for (auto m = std::sregex_iterator(attrs.begin(), attrs.end(), attr); m != std::sregex_iterator(); ++m)
      a[(*m)[1]] = (*m)[2];
    out[a["tensor"]] = CellSeen{(*it)[2], a["status"], a["diagnosis"]};
  }
  return out;
}

std::string text_of(const std::string& path) {
  const auto bytes = read_file(path);
  return std::string(bytes.begin(), bytes.end());
}

size_t occurrences(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

void expect_loaded_cleanly(const PageDump& d) {
  EXPECT_NE(d.dom.find("data-ready=\"1\""), std::string::npos) << "the page's script did not finish";
  EXPECT_TRUE(d.console.empty()) << "console: " << (d.console.empty() ? "" : d.console.front());
}

// Nothing is loaded from anywhere: no external scripts, styles, images or links.
void expect_self_contained(const std::string& html) {
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  for (size_t p = html.find("src=\""); p != std::string::npos; p = html.find("src=\"", p + 1))
    EXPECT_EQ(html.compare(p + 5, 5, "data:"), 0) << html.substr(p, 40);
}

TEST(HtmlDiff, HeatmapHasOneCellPerComparedTensorWithTheColoursOfAKnownPair) {
  REQUIRE_CHROMIUM();
  const KnownPair k = known_pair();
  const std::string page = temp_dir() + "/known.html";
  const auto r = run_ckpt({"diff", k.a, k.b, "--html", page});
  ASSERT_EQ(r.exit_code, 1) << r.err;  // they differ
  expect_self_contained(text_of(page));
  const auto d = dump_dom(page);
  ASSERT_TRUE(d) << "Chromium failed on " << page;
  expect_loaded_cleanly(*d);
  const auto cells = cells_of(d->dom);
  // 2 layers x 9 kinds, tok_embeddings, norm, and v0's two RoPE tables (both files store them).
  EXPECT_EQ(cells.size(), 22u);
  auto lib = diff_memory(read_file(k.a), read_file(k.b));
  ASSERT_TRUE(lib);
  for (const auto& t : lib->tensors) EXPECT_EQ(cells.count(t.name), t.layout_only ? 0u : 1u) << t.name;
  for (const auto& [name, c] : cells) {
    if (name == "layers.0.attention.wq.weight") {
      EXPECT_EQ(c.diagnosis, "rotary_permutation");
      EXPECT_EQ(c.status, "differs");
      EXPECT_NE(c.fill, kEqual);
    } else if (name == "layers.1.feed_forward.w2.weight") {
      EXPECT_EQ(c.fill, kDarkest);
    } else if (name == "layers.1.feed_forward.w1.weight") {
      EXPECT_EQ(c.fill, kLightest);
      EXPECT_EQ(c.status, "differs");
    } else {
      EXPECT_EQ(c.fill, kEqual) << name;
      EXPECT_EQ(c.status, "equal") << name;
    }
  }
  // The other metrics are there for the switch, and the worst tensors have detail sections.
  EXPECT_NE(d->dom.find("data-fill-rmse="), std::string::npos);
  EXPECT_NE(d->dom.find("data-fill-one_minus_cos="), std::string::npos);
  EXPECT_NE(d->dom.find("id=\"t-layers.0.attention.wq.weight\""), std::string::npos);
  EXPECT_NE(d->dom.find("id=\"t-layers.1.feed_forward.w2.weight\""), std::string::npos);
}

TEST(HtmlDiff, ScreenshotShowsTheHeatmapColours) {
  REQUIRE_CHROMIUM();
  const KnownPair k = known_pair();
  const std::string page = temp_dir() + "/known-shot.html";
  ASSERT_EQ(run_ckpt({"diff", k.a, k.b, "--html", page}).exit_code, 1);
  const auto img = screenshot(page, 1300, 1000);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->width, 1300);
  EXPECT_GT(img->distinct_colors(), 50u) << "a blank page";
  // A heatmap cell is about 52 x 16 px inside its border; the legend's ends hold a few
  // pixels of each end colour, so these counts need whole cells.
  EXPECT_GT(img->count(kDarkest), 500u);
  EXPECT_GT(img->count(kLightest), 500u);
  EXPECT_GT(img->count(kEqual), 15u * 500u);
}

TEST(HtmlDiff, EqualFilesShowOnlyEqualCellsAndNoDetails) {
  REQUIRE_CHROMIUM();
  const ModelConfig c = gqa_config();
  const std::string a = write_temp("eq-a.bin", write_bytes(llama2c::v0, c));
  const std::string b = write_temp("eq-b.bin", write_bytes(llama2c::ak42_v1_fp32, c));
  const std::string page = temp_dir() + "/equal.html";
  ASSERT_EQ(run_ckpt({"diff", a, b, "--html", page}).exit_code, 0);
  const auto d = dump_dom(page);
  ASSERT_TRUE(d);
  expect_loaded_cleanly(*d);
  const auto cells = cells_of(d->dom);
  EXPECT_EQ(cells.size(), 20u);  // v1 has no RoPE tables: those two are layout-only
  for (const auto& [name, cell] : cells) EXPECT_EQ(cell.fill, kEqual) << name;
  EXPECT_NE(d->dom.find("class=\"verdict good\""), std::string::npos);
  EXPECT_NE(d->dom.find("Every compared tensor is bit-identical."), std::string::npos);
}

TEST(HtmlInspect, TruncatedFileStillDrawsItsByteMapWithTheBreak) {
  REQUIRE_CHROMIUM();
  auto bytes = read_file(fixture_path("gqa-ak42-v2-q8_0.bin"));
  bytes.resize(50000);
  const std::string file = write_temp("cut.bin", bytes), page = temp_dir() + "/cut.html";
  const auto r = run_ckpt({"inspect", "--stats", file, "--html", page});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto d = dump_dom(page);
  ASSERT_TRUE(d);
  expect_loaded_cleanly(*d);
  EXPECT_NE(d->dom.find("class=\"bytemap\""), std::string::npos);
  EXPECT_GE(occurrences(d->dom, "data-kind=\"missing (beyond the end)\""), 1u);
  EXPECT_GE(occurrences(d->dom, "data-kind=\"tensor data\""), 10u);
  EXPECT_EQ(occurrences(d->dom, "class=\"break\""), 1u);
  EXPECT_NE(d->dom.find("the file ends at byte 50,000"), std::string::npos);
  EXPECT_NE(d->dom.find("size.truncated"), std::string::npos);
  EXPECT_NE(d->dom.find("class=\"verdict bad\""), std::string::npos);
  const auto img = screenshot(page, 1300, 700);
  ASSERT_TRUE(img);
  EXPECT_GT(img->distinct_colors(), 50u);
  EXPECT_GT(img->count("#59a14f"), 2000u);  // tensor data
  EXPECT_GT(img->count("#e57373"), 2000u);  // the hatched missing part
}

TEST(HtmlInspect, StatisticsPageHasAHistogramPerTensorLayerPlotsAndScales) {
  REQUIRE_CHROMIUM();
  // Layer 1's wo all zeros: a dead tensor the page must flag.
  const ModelConfig c = gqa_config();
  MemoryWeights w = make_weights(c);
  auto& wo = tensor(w, "layers.1.attention.wo.weight");
  std::fill(wo.begin(), wo.end(), 0.0f);
  const std::string file = write_temp("dead.bin", write_bytes(llama2c::ak42_v2_q8_0, c, w));
  const std::string page = temp_dir() + "/dead.html";
  ASSERT_EQ(run_ckpt({"inspect", "--stats", file, "--html", page}).exit_code, 0);
  expect_self_contained(text_of(page));
  const auto d = dump_dom(page);
  ASSERT_TRUE(d);
  expect_loaded_cleanly(*d);
  EXPECT_EQ(occurrences(d->dom, "<div class=\"small\" data-tensor=") +
                occurrences(d->dom, "<div class=\"small flag\" data-tensor="),
            20u);
  EXPECT_EQ(occurrences(d->dom, "<svg class=\"hist\""), 20u + 1);  // and the scale histogram
  EXPECT_NE(d->dom.find("id=\"layers\""), std::string::npos);
  EXPECT_NE(d->dom.find("id=\"scales\""), std::string::npos);
  const std::string tag = R"(<div class="small flag" data-tensor="layers.1.attention.wo.weight">)";
  const size_t at = d->dom.find(tag);
  ASSERT_NE(at, std::string::npos);
  const std::string card = d->dom.substr(at, d->dom.find("<div class=\"small", at + tag.size()) - at);
  EXPECT_NE(card.find("all zeros"), std::string::npos) << card;
  // In the std plot the dead layer is a hollow marker on the axis.
  EXPECT_NE(d->dom.find("wo layer 1: 0"), std::string::npos);
  const auto img = screenshot(page, 1300, 2600);
  ASSERT_TRUE(img);
  EXPECT_GT(img->count("#4e79a7"), 20000u);  // histogram bars (and the header in the byte map)
  EXPECT_GT(img->count("#f28e2b"), 2000u);   // Q8_0 scales in the byte map and their ranges
}

TEST(HtmlReports, RefuseToOverwriteAnInputAndToDrawBytes) {
  const std::string a = write_temp("keep-a.bin", write_bytes(llama2c::v0, gqa_config()));
  const std::string b = write_temp("keep-b.bin", write_bytes(llama2c::v0, gqa_config()));
  const auto before = read_file(a);
  auto r = run_ckpt({"diff", a, b, "--html", a});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--html " + a + ": refusing to overwrite the input " + a), std::string::npos) << r.err;
  r = run_ckpt({"inspect", b, "--html", b});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refusing to overwrite the input"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(a), before);
  r = run_ckpt({"diff", a, b, "--bytes", "--html", temp_dir() + "/bytes.html"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--html draws the numeric comparison"), std::string::npos) << r.err;
  // A folder that does not exist: the command fails and leaves nothing behind.
  r = run_ckpt({"inspect", b, "--html", temp_dir() + "/no/such/folder/r.html"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--html"), std::string::npos) << r.err;
}

TEST(HtmlReports, InspectHistPrintsOneLineHistogramPerTensor) {
  const auto r = run_ckpt({"inspect", "--stats", "--hist", fixture_path("gqa-ak42-v2-q8_0.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::stringstream lines(r.out);
  size_t n = 0;
  for (std::string l; std::getline(lines, l);) {
    if (l.find("      hist [") != 0) continue;
    ++n;
    // 40 characters after the range: block characters (3 bytes each in UTF-8) or spaces.
    const std::string bars = l.substr(l.find("] ") + 2);
    size_t chars = 0;
    for (unsigned char ch : bars) chars += (ch & 0xC0) != 0x80;
    EXPECT_EQ(chars, 40u) << l;
    EXPECT_NE(bars.find("█"), std::string::npos) << l;  // the fullest bin reaches the top
  }
  EXPECT_EQ(n, 20u);
}

TEST(HtmlReports, JsonCarriesTheHistogramsAndErrorShapesWhenCollected) {
  auto j = nlohmann::json::parse(run_ckpt({"inspect", "--json", "--hist", fixture_path("gqa-ak42-v2-q8_0.bin")}).out);
  for (const auto& t : j["tensors"]) {
    uint64_t total = 0;
    for (const auto& bin : t["stats"]["histogram"]) {
      EXPECT_LT(bin[0].get<double>(), bin[1].get<double>());
      total += bin[2].get<uint64_t>();
    }
    EXPECT_EQ(total, t["stats"]["count"].get<uint64_t>()) << t["name"];
    if (t["dtype"] == "q8_0") {
      EXPECT_TRUE(t["stats"].contains("scale_histogram"));
    }
  }
  EXPECT_FALSE(
      nlohmann::json::parse(
          run_ckpt({"inspect", "--json", "--stats", fixture_path("gqa-ak42-v2-q8_0.bin")}).out)["tensors"][0]["stats"]
          .contains("histogram"));
  const KnownPair k = known_pair();
  const auto r = run_ckpt({"diff", "--json", k.a, k.b, "--html", temp_dir() + "/json.html"});
  auto d = nlohmann::json::parse(r.out);
  for (const auto& t : d["tensors"]) {
    EXPECT_EQ(t.contains("error_shape"), t["status"] == "differs") << t["name"];
    if (t["name"] == "layers.1.feed_forward.w2.weight") {
      const auto& e = t["error_shape"];
      EXPECT_EQ(e["rows"], 64);
      EXPECT_EQ(e["cols"], 172);
      EXPECT_GT(e["by_row"]["rms"][5].get<double>(), 0.0);
      EXPECT_EQ(e["by_row"]["rms"][4].get<double>(), 0.0);
      EXPECT_EQ(e["corner"]["a"].size(), 32u * 32u);
    }
  }
}

}  // namespace
}  // namespace ckpt::test
