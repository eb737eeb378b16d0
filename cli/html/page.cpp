#include "page.hpp"

#include <fmt/format.h>

#include "ckpt/byte_sink.hpp"
#include "svg.hpp"

namespace ckpt::cli::html {

namespace {

constexpr std::string_view kStyle = R"css(
:root { --fg:#1f2430; --muted:#5f6775; --line:#dde1e7; --bg:#f4f5f8; --card:#fff; --bad:#b3261e; --good:#2e7d32; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; color:var(--fg); background:var(--bg); }
header.top { background:#1f2430; color:#fff; padding:16px 28px 14px; }
header.top h1 { margin:0; font-size:19px; font-weight:600; letter-spacing:.2px; }
header.top .files { font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; color:#c9d0dc; margin-top:6px; }
header.top .files b { color:#fff; font-weight:600; }
main { max-width:1280px; margin:0 auto; padding:8px 28px 60px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 18px 16px; margin:14px 0; }
.card > h2 { font-size:15.5px; margin:0 0 4px; }
.card > p.sub { margin:0 0 10px; color:var(--muted); font-size:12.5px; }
.verdict { font-size:15px; font-weight:600; padding:9px 14px; border-radius:6px; margin:14px 0 0; }
.verdict.bad { background:#fdecea; color:var(--bad); border:1px solid #f3c1bc; }
.verdict.good { background:#e8f5e9; color:var(--good); border:1px solid #bfe0c2; }
table { border-collapse:collapse; font-size:12.5px; }
th, td { padding:3px 10px; border-bottom:1px solid #eef0f3; text-align:left; vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.mono, td.mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12px; }
tr.hl td { background:#fff3e0; }
.badge { display:inline-block; padding:0 8px; border-radius:10px; font-size:11.5px; font-weight:600; line-height:19px; white-space:nowrap; }
.b-differs, .b-error { background:#fdecea; color:#b3261e; }
.b-equal { background:#e6f4ea; color:#2e7d32; }
.b-warning, .b-only_in_a, .b-only_in_b { background:#fff4e5; color:#8a5300; }
.b-shape_mismatch { background:#e9eaee; color:#333; }
.b-info, .b-diag { background:#e8f0fe; color:#1a56b0; }
.row { display:flex; flex-wrap:wrap; gap:18px; align-items:flex-start; }
figure { margin:0; }
figcaption { font-size:11.5px; color:var(--muted); margin-top:2px; max-width:580px; }
figure.px-fig figcaption { max-width:200px; }
svg text { font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif; }
svg text.tick { font-size:10px; fill:#5a606b; }
svg text.axis { font-size:11px; fill:#30343c; }
svg text.note { font-size:11px; fill:#8a8f98; }
svg .plotbg { fill:#fafbfc; stroke:#e2e5ea; }
svg .bar { fill:#4e79a7; }
svg .bar-zero { fill:#3c9a50; }
svg line.zero { stroke:#c62828; stroke-width:1; stroke-dasharray:2 2; }
svg line.grid { stroke:#eceef2; }
.metric-switch { display:inline-flex; border:1px solid var(--line); border-radius:6px; overflow:hidden; margin:2px 0 10px; }
.metric-switch button { border:0; background:#fff; padding:5px 12px; font:inherit; font-size:12.5px; cursor:pointer; color:var(--fg); }
.metric-switch button + button { border-left:1px solid var(--line); }
.metric-switch button.on { background:#1f2430; color:#fff; }
.heat-wrap { display:flex; gap:22px; align-items:flex-start; }
.heat-wrap > .heat-main { flex:0 1 auto; min-width:0; max-width:820px; }
.heat-wrap > #cell-info { flex:0 0 340px; }
g.cell { cursor:pointer; }
g.cell text { pointer-events:none; font-size:11px; font-weight:700; }
g.cell:hover rect.fill, g.cell.pinned rect.fill { stroke:#000; stroke-width:2.5; }
#cell-info { position:sticky; top:10px; width:340px; font-size:12.5px; border:1px solid var(--line); border-radius:6px; padding:10px 12px; background:#fbfcfd; min-height:120px; }
#cell-info h3 { font-size:13px; margin:0 0 4px; word-break:break-all; font-family:ui-monospace,Menlo,Consolas,monospace; }
#cell-info table td { padding:1px 6px 1px 0; border:0; }
.legend-row { display:flex; flex-wrap:wrap; gap:14px; align-items:center; font-size:12px; color:var(--muted); margin-top:6px; }
.sw { display:inline-block; width:14px; height:14px; border:1px solid #999; vertical-align:-3px; margin-right:4px; border-radius:2px; }
.sw.hatch { background:repeating-linear-gradient(45deg,#c9ccd1 0 3px,#fff 3px 6px); }
.glyphs { font-size:12px; color:var(--muted); margin-top:6px; }
.glyphs b { color:var(--fg); display:inline-block; min-width:14px; text-align:center; }
.smalls { display:grid; grid-template-columns:repeat(auto-fill,minmax(250px,1fr)); gap:10px; }
.small { border:1px solid #eceef2; border-radius:6px; padding:6px 8px 4px; background:#fff; }
.small.flag { border-color:#e8a09a; background:#fffafa; }
.small .name { font:11.5px ui-monospace,Menlo,Consolas,monospace; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.small .meta { font-size:11px; color:var(--muted); }
.tensor { border-top:1px solid var(--line); padding-top:12px; margin-top:14px; }
.tensor:first-of-type { border-top:0; margin-top:4px; padding-top:0; }
.tensor h3 { font:600 14px ui-monospace,Menlo,Consolas,monospace; margin:0 0 4px; word-break:break-all; }
.facts { font-size:12.5px; color:#3a3f48; margin:2px 0 8px; }
.facts span { margin-right:14px; white-space:nowrap; }
details > summary { cursor:pointer; color:#1a56b0; font-size:13px; margin:4px 0; }
.bytemap text { font-size:10px; fill:#4a4f58; }
.bytemap rect.r:hover { stroke:#000; stroke-width:1.5; }
.note { color:var(--muted); font-size:12.5px; }
img.px { image-rendering:pixelated; image-rendering:crisp-edges; border:1px solid #e2e5ea; display:block; }
footer { color:var(--muted); font-size:11.5px; text-align:center; margin-top:30px; }
)css";

constexpr std::string_view kScript = R"js(
(function () {
  var info = document.getElementById('cell-info');
  var pinned = null;
  function show(cell) {
    if (!info) return;
    var d = document.getElementById('detail-' + cell.getAttribute('data-id'));
    info.innerHTML = d ? d.innerHTML : '';
  }
  Array.prototype.forEach.call(document.querySelectorAll('g.cell'), function (cell) {
    cell.addEventListener('mouseenter', function () { if (!pinned) show(cell); });
    cell.addEventListener('click', function () {
      if (pinned) pinned.classList.remove('pinned');
      pinned = pinned === cell ? null : cell;
      if (pinned) { pinned.classList.add('pinned'); show(cell); }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('.metric-switch button'), function (button) {
    button.addEventListener('click', function () {
      var m = button.getAttribute('data-metric');
      Array.prototype.forEach.call(document.querySelectorAll('.metric-switch button'), function (b) {
        b.classList.toggle('on', b === button);
      });
      Array.prototype.forEach.call(document.querySelectorAll('g.cell'), function (cell) {
        var rect = cell.querySelector('rect.fill'), text = cell.querySelector('text');
        rect.setAttribute('fill', cell.getAttribute('data-fill-' + m));
        if (text) text.setAttribute('fill', cell.getAttribute('data-ink-' + m));
      });
      Array.prototype.forEach.call(document.querySelectorAll('[data-legend]'), function (l) {
        l.style.display = l.getAttribute('data-legend') === m ? '' : 'none';
      });
    });
  });
  document.body.setAttribute('data-ready', '1');
})();
)js";

}  // namespace

std::string page(std::string_view title, std::string_view body) {
  std::string s;
  s.reserve(body.size() + kStyle.size() + kScript.size() + 1024);
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s += "<title>" + esc(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  // Patterns every chart can refer to (url(#hatch): missing data).
  s += R"(<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>)"
       R"~(<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">)~"
       R"(<rect width="6" height="6" fill="#fff"/><rect width="3" height="6" fill="#c9ccd1"/></pattern>)"
       R"~(<pattern id="hatch-red" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">)~"
       R"(<rect width="6" height="6" fill="#fff5f5"/><rect width="3" height="6" fill="#e57373"/></pattern>)"
       "</defs></svg>\n";
  s += body;
  s += "\n<footer>written by ckpt; a self-contained page: nothing here is loaded from the network</footer>\n";
  s += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return s;
}

bool check_output(const std::string& flag, const std::string& path, const std::vector<std::string>& inputs,
                  Outcome& out) {
  for (const auto& in : inputs)
    if (same_file(path, in)) {
      out.usage_error(fmt::format("{} {}: refusing to overwrite the input {}", flag, path, in));
      return false;
    }
  return true;
}

bool write_page(const std::string& flag, const std::string& path, const std::string& html, Outcome& out) {
  auto f = AtomicFile::create(path);
  if (!f) {
    out.usage_error(fmt::format("{} {}: {}", flag, path, f.error().message));
    return false;
  }
  auto w = (*f)->write_at(0, html.data(), html.size());
  if (w) w = (*f)->commit();
  if (!w) {
    out.usage_error(fmt::format("{} {}: {}", flag, path, w.error().message));
    return false;
  }
  return true;
}

}  // namespace ckpt::cli::html
