// tt-train's Python pickle checkpoints (pickle_ckpt.hpp): record framing, the manifest
// walk, and the tensors as raw placements. The unpickler (formats/torch) builds an inert
// graph per pickle; numpy_pickle.cpp reads arrays out of it.
#include "pickle_ckpt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <optional>

#include "numpy_pickle.hpp"
#include "torch/pickle_reader.hpp"

namespace ckpt::ttml {

using torch::PickleGraph;
using torch::PickleResult;
using torch::PyKind;
using torch::PyObj;

namespace {

// Detection unpickles this much of the file at most.
constexpr uint64_t kProbeBytes = 4096;
// The manifest's groups nest a few levels (optimizer -> exp_avg -> named_parameters).
constexpr int kMaxManifestDepth = 32;

// The unpickler's limits but two: one pickle may span the file (train_nanogpt.py writes
// every array inside one pickle), and an array's bytes argument may be as long as the file
// (a Llama 3 embedding in bfloat16 is over 1 GB): bytes are never read whole, only
// a prefix and their file range, so neither bound lets an allocation follow the file.
torch::PickleLimits pickle_limits(const ByteSource& src) {
  torch::PickleLimits lim;
  lim.max_bytes = std::max<uint64_t>(src.size(), 1);
  lim.max_bytes_object = std::max<uint64_t>(src.size(), 1);
  return lim;
}

Finding finding(std::string rule, Severity s, std::string message, std::optional<uint64_t> offset,
                std::string subject = {}) {
  return Finding{std::move(rule), s, std::move(message), offset, std::move(subject)};
}

// The unpickler's findings of one pickle, but the unknown-global warning for the
// classes numpy array pickles name (ml_dtypes.bfloat16 is not on PyTorch's allowlist,
// and a tt-train bfloat16 array cannot be pickled without it).
void add_pickle_findings(Checkpoint& cp, const PickleResult& r) {
  for (const Finding& f : r.findings) {
    if (f.rule == "security.unknown_global" && is_numpy_array_global(f.subject)) continue;
    cp.findings.push_back(f);
  }
}

// The value of key `key` in dict `dict`, or kNoObject.
uint32_t dict_get(const PickleGraph& g, uint32_t dict, std::string_view key) {
  if (!g.valid(dict) || g.at(dict).kind != PyKind::dict) return torch::kNoObject;
  const auto& p = g.at(dict).pairs;
  for (size_t k = 0; k + 1 < p.size(); k += 2)
    if (const std::string* s = g.str(p[k]); s && *s == key) return p[k + 1];
  return torch::kNoObject;
}

bool is_dict(const PickleGraph& g, uint32_t obj) { return g.valid(obj) && g.at(obj).kind == PyKind::dict; }

std::string str_or_empty(const PickleGraph& g, uint32_t obj) {
  const std::string* s = g.str(obj);
  return s ? *s : std::string();
}

// A metadata value as text: scalars as Python writes them, objects by their class (a
// class is named, never imported).
std::string value_text(const PickleGraph& g, uint32_t obj) {
  if (!g.valid(obj)) return "?";
  const PyObj& o = g.at(obj);
  switch (o.kind) {
    case PyKind::none:
      return "None";
    case PyKind::boolean:
      return o.i ? "True" : "False";
    case PyKind::integer:
      return std::to_string(o.i);
    case PyKind::floating:
      return fmt::format("{}", o.f);
    case PyKind::str:
      return o.text.size() > 200 ? o.text.substr(0, 200) + "..." : o.text;
    case PyKind::global:
      return g.global_name(obj);
    case PyKind::reduce:
    case PyKind::newobj:
      return "object of " + g.global_name(o.callable);
    case PyKind::tuple:
    case PyKind::list: {
      // Short sequences of numbers (shapes) in Python's notation.
      bool numbers = o.items.size() <= 16;
      for (uint32_t x : o.items) numbers = numbers && g.valid(x) && g.at(x).kind == PyKind::integer;
      if (!numbers) return fmt::format("{} of {}", torch::kind_name(o.kind), o.items.size());
      std::string s = o.kind == PyKind::tuple ? "(" : "[";
      for (size_t k = 0; k < o.items.size(); ++k) s += (k ? ", " : "") + std::to_string(g.at(o.items[k]).i);
      if (o.kind == PyKind::tuple && o.items.size() == 1) s += ",";
      return s + (o.kind == PyKind::tuple ? ")" : "]");
    }
    case PyKind::dict:
      return fmt::format("dict of {}", o.pairs.size() / 2);
    default:
      return std::string(torch::kind_name(o.kind));
  }
}

void add_metadata(Checkpoint& cp, const PickleGraph& g, std::string key, uint32_t obj) {
  MetadataEntry m;
  m.key = std::move(key);
  m.type = g.valid(obj) ? std::string(torch::kind_name(g.at(obj).kind)) : "?";
  m.value = value_text(g, obj);
  m.offset = g.valid(obj) ? g.at(obj).offset : 0;
  cp.metadata.push_back(std::move(m));
}

TensorInfo raw_tensor(std::string name, const NumpyArray& a) {
  TensorInfo t;
  t.spec.name = std::move(name);
  t.spec.dtype = a.dtype;
  t.spec.shape = a.shape;
  t.spec.numel = a.numel;
  t.place.storage = Storage::raw;
  t.place.offset = a.data_offset;
  t.place.nbytes = a.data_length;
  t.data_available = a.data_length;
  return t;
}

// A tensor the manifest declares: where it goes and what it should be.
struct Declared {
  std::string name;
  std::string layout, dtype;
};

struct ManifestWalk {
  const PickleGraph& g;
  Checkpoint& cp;
  uint64_t max_tensors;
  std::vector<Declared> tensors;
  bool stopped = false;

  // A group {"named_parameters": {name: {"layout", "dtype"}}} declares tensors
  // "<path>/<name>"; other dicts are groups of groups; anything else is metadata.
  void walk(uint32_t dict, const std::string& path, int depth) {
    if (depth > kMaxManifestDepth) {
      cp.findings.push_back(finding("ttpickle.header", Severity::error,
                                    fmt::format("the manifest nests deeper than {} levels", kMaxManifestDepth),
                                    g.at(dict).offset, path));
      stopped = true;
      return;
    }
    const auto& pairs = g.at(dict).pairs;
    for (size_t k = 0; k + 1 < pairs.size() && !stopped; k += 2) {
      const std::string key = g.str(pairs[k]) ? *g.str(pairs[k]) : value_text(g, pairs[k]);
      const uint32_t v = pairs[k + 1];
      const std::string here = path.empty() ? key : path + "/" + key;
      if (key == "named_parameters" && is_dict(g, v)) {
        const auto& named = g.at(v).pairs;
        for (size_t n = 0; n + 1 < named.size(); n += 2) {
          if (tensors.size() >= max_tensors) {
            // At the group's dict: its names may be memo references to another group's.
            cp.findings.push_back(finding("ttpickle.too_many_records", Severity::error,
                                          fmt::format("the manifest declares more than {} tensors; the rest are "
                                                      "not read",
                                                      max_tensors),
                                          g.at(v).offset, here));
            stopped = true;
            return;
          }
          const std::string name = path + "/" + (g.str(named[n]) ? *g.str(named[n]) : value_text(g, named[n]));
          tensors.push_back({name, str_or_empty(g, dict_get(g, named[n + 1], "layout")),
                             str_or_empty(g, dict_get(g, named[n + 1], "dtype"))});
        }
      } else if (is_dict(g, v)) {
        walk(v, here, depth + 1);
      } else {
        add_metadata(cp, g, here, v);
      }
    }
  }
};

DType manifest_dtype(const std::string& d, bool& known) {
  known = d == "FLOAT32" || d == "BFLOAT16";
  return d == "BFLOAT16" ? DType::bf16 : DType::f32;
}

void finish(Checkpoint& cp, std::shared_ptr<PickleInfo> info) {
  name_ttml_tensors(cp, *info);
  cp.family_data = std::move(info);
}

}  // namespace

Format probe_ttml_pickle(const ByteSource& src) {
  uint8_t head[3] = {};
  // PROTO 2..5: what pickle.dump writes by default on every Python 3 tt-train supports.
  if (src.read_available(0, head, 3) != 3 || head[0] != 0x80 || head[1] < 2 || head[1] > 5) return Format::unknown;
  // A window of the file's start, past PROTO and the first FRAME (protocol 4+: FRAME and a
  // u64 length), whose length would not fit the window: the opcodes after it do.
  const uint64_t start = head[2] == 0x95 ? 11 : 2;
  if (src.size() <= start) return Format::unknown;
  auto r = torch::unpickle(src, start, std::min(src.size() - start, kProbeBytes));
  if (!r) return Format::unknown;
  const auto& objs = r->graph.objects;
  if (objs.empty() || objs[0].kind != PyKind::dict) return Format::unknown;
  // checkpointing.py's record 0 starts with its "format" key; train_nanogpt.py's dict
  // holds "model_state" after "step".
  for (size_t i = 1; i < objs.size(); ++i)
    if (objs[i].kind == PyKind::str) {
      if (objs[i].text == "format") return pickle_stream;
      break;
    }
  for (const PyObj& o : objs)
    if (o.kind == PyKind::str && o.text == "model_state") return nanogpt_pickle;
  return Format::unknown;
}

Checkpoint open_pickle_stream(const ByteSource& src, const OpenOptions& opt) {
  Checkpoint cp;
  cp.format = pickle_stream;
  cp.file_size = src.size();
  cp.limits = opt.limits;
  auto info = std::make_shared<PickleInfo>();
  const torch::PickleLimits lim = pickle_limits(src);
  auto head = torch::unpickle(src, 0, src.size(), lim);
  if (!head) {
    cp.findings.push_back(finding("ttpickle.header", Severity::error, head.error().message, 0));
    finish(cp, info);
    return cp;
  }
  add_pickle_findings(cp, *head);
  info->protocol = head->protocol;
  info->header_end = info->records_end = head->end;
  const PickleGraph& g = head->graph;
  const uint32_t fmt_obj = dict_get(g, head->root, "format");
  const uint32_t manifest = dict_get(g, head->root, "manifest");
  int64_t version = -1;
  if (!head->complete || !g.integer(fmt_obj, version) || !is_dict(g, manifest) ||
      !is_dict(g, dict_get(g, head->root, "header"))) {
    cp.findings.push_back(finding("ttpickle.header", Severity::error,
                                  head->complete
                                      ? "record 0 is not {\"format\": 1, \"header\": {...}, \"manifest\": {...}}"
                                      : "record 0 ends without STOP",
                                  0));
    finish(cp, info);
    return cp;
  }
  info->format_version = version;
  if (version != 1)
    cp.findings.push_back(finding("ttpickle.header", Severity::error,
                                  fmt::format("format version {}: checkpointing.py writes and reads 1", version),
                                  g.at(fmt_obj).offset));
  const uint32_t header = dict_get(g, head->root, "header");
  const auto& hp = g.at(header).pairs;
  for (size_t k = 0; k + 1 < hp.size(); k += 2) add_metadata(cp, g, "header/" + value_text(g, hp[k]), hp[k + 1]);
  ManifestWalk walk{g, cp, opt.limits.max_pickle_tensors, {}, false};
  walk.walk(manifest, "", 0);

  // One array pickle per declared tensor, back to back after record 0.
  uint64_t at = head->end;
  size_t read = 0;
  for (; read < walk.tensors.size(); ++read) {
    const Declared& d = walk.tensors[read];
    std::optional<PickleResult> rec;
    if (at < src.size())
      if (auto r = torch::unpickle(src, at, src.size() - at, lim)) rec = std::move(*r);
    if (!rec || !rec->complete) {
      if (rec) add_pickle_findings(cp, *rec);
      cp.findings.push_back(finding(
          "ttpickle.missing_record", Severity::error,
          fmt::format("the stream ends {} record {} of {} ({}): {} tensors the manifest declares are not in the file",
                      rec ? "inside" : "before", read + 1, walk.tensors.size(), d.name, walk.tensors.size() - read),
          at, d.name));
      break;
    }
    add_pickle_findings(cp, *rec);
    NumpyProblem problem;
    auto arr = read_numpy_array(rec->graph, rec->root, opt.limits.max_tensor_rank, problem);
    if (!arr) {
      cp.findings.push_back(
          finding(problem.rule, Severity::error, d.name + ": " + problem.message, problem.offset, d.name));
    } else {
      bool known = false;
      const DType want = manifest_dtype(d.dtype, known);
      if (!known || want != arr->dtype)
        cp.findings.push_back(finding("ttpickle.dtype", Severity::error,
                                      fmt::format("{}: the manifest says {}, the array is {}", d.name,
                                                  d.dtype.empty() ? "nothing" : d.dtype, arr->dtype_name),
                                      at, d.name));
      cp.tensors.push_back(raw_tensor(d.name, *arr));
      info->records.push_back({d.name, at, rec->end, d.dtype, d.layout, arr->dtype_name});
    }
    at = rec->end;
  }
  info->records_end = at;
  // After a cap the unread records are not trailing bytes: too_many_records said why.
  if (read == walk.tensors.size() && !walk.stopped && at < src.size()) {
    cp.trailing_bytes = src.size() - at;
    cp.findings.push_back(finding("ttpickle.trailing", Severity::warning,
                                  fmt::format("{} bytes follow the last record the manifest declares", src.size() - at),
                                  at));
  }
  finish(cp, info);
  return cp;
}

Checkpoint open_nanogpt_pickle(const ByteSource& src, const OpenOptions& opt) {
  Checkpoint cp;
  cp.format = nanogpt_pickle;
  cp.file_size = src.size();
  cp.limits = opt.limits;
  auto info = std::make_shared<PickleInfo>();
  auto r = torch::unpickle(src, 0, src.size(), pickle_limits(src));
  if (!r) {
    cp.findings.push_back(finding("ttpickle.header", Severity::error, r.error().message, 0));
    finish(cp, info);
    return cp;
  }
  add_pickle_findings(cp, *r);
  info->protocol = r->protocol;
  info->records_end = r->end;
  const PickleGraph& g = r->graph;
  const uint32_t state = dict_get(g, r->root, "model_state");
  if (!r->complete || !is_dict(g, state)) {
    cp.findings.push_back(
        finding("ttpickle.header", Severity::error,
                r->complete ? "the pickle is not a dict with a model_state dict" : "the pickle ends without STOP", 0));
    finish(cp, info);
    return cp;
  }
  const auto& top = g.at(r->root).pairs;
  for (size_t k = 0; k + 1 < top.size(); k += 2)
    if (top[k + 1] != state) add_metadata(cp, g, value_text(g, top[k]), top[k + 1]);
  const auto& entries = g.at(state).pairs;
  for (size_t k = 0; k + 1 < entries.size(); k += 2) {
    if (k / 2 >= opt.limits.max_pickle_tensors) {
      cp.findings.push_back(finding(
          "ttpickle.too_many_records", Severity::error,
          fmt::format("model_state holds more than {} tensors; the rest are not read", opt.limits.max_pickle_tensors),
          g.at(entries[k]).offset));
      break;
    }
    const std::string name = "model_state/" + value_text(g, entries[k]);
    const uint32_t entry = entries[k + 1];
    NumpyProblem problem;
    auto arr = read_numpy_array(g, dict_get(g, entry, "data"), opt.limits.max_tensor_rank, problem);
    if (!arr) {
      if (!g.valid(dict_get(g, entry, "data"))) problem.offset = g.at(entry).offset;
      cp.findings.push_back(
          finding(problem.rule, Severity::error, name + ": " + problem.message, problem.offset, name));
      continue;
    }
    // The entry's "shape" is the tensor's logical shape: it must be the array's.
    std::vector<uint64_t> declared;
    const uint32_t shape = dict_get(g, entry, "shape");
    for (uint32_t d : g.elements(shape)) {
      int64_t v = -1;
      declared.push_back(g.integer(d, v) && v >= 0 ? uint64_t(v) : ~uint64_t(0));
    }
    if (g.valid(shape) && declared != arr->shape)
      cp.findings.push_back(
          finding("ttpickle.record", Severity::error,
                  fmt::format("{}: \"shape\" ({}) differs from the array's shape", name, value_text(g, shape)),
                  g.at(shape).offset, name));
    const uint32_t layout = dict_get(g, entry, "layout");
    cp.tensors.push_back(raw_tensor(name, *arr));
    info->records.push_back(
        {name, g.at(entry).offset, 0, "", g.valid(layout) ? value_text(g, layout) : "", arr->dtype_name});
  }
  if (r->end < src.size()) {
    cp.trailing_bytes = src.size() - r->end;
    cp.findings.push_back(finding("ttpickle.trailing", Severity::warning,
                                  fmt::format("{} bytes follow the pickle's STOP", src.size() - r->end), r->end));
  }
  finish(cp, info);
  return cp;
}

Location locate_pickle(const Checkpoint& cp, uint64_t offset) {
  Location l = locate_placements(cp, offset);
  const PickleInfo* info = pickle_info_of(cp);
  if (l.kind != RegionKind::unmapped || !info) return l;
  auto container = [&](std::string field, std::string part, uint64_t begin, uint64_t end) {
    l.kind = RegionKind::container;
    l.field = std::move(field);
    l.part = std::move(part);
    l.region_start = begin;
    l.region_length = end - begin;
    l.byte_in_element = uint32_t(std::min<uint64_t>(offset - begin, UINT32_MAX));
    return l;
  };
  if (cp.format == nanogpt_pickle)
    return offset < info->records_end
               ? container("the pickle", "train_nanogpt.py's dict (keys, values, the arrays' opcodes)", 0,
                           info->records_end)
               : l;
  if (offset < info->header_end) return container("record 0", "the header and manifest pickle", 0, info->header_end);
  // Records are in file order: the last one starting at or before the byte.
  auto it = std::upper_bound(info->records.begin(), info->records.end(), offset,
                             [](uint64_t o, const PickleRecord& r) { return o < r.record_offset; });
  if (it == info->records.begin()) return l;
  const PickleRecord& r = *std::prev(it);
  if (offset >= r.record_end) return l;
  return container(fmt::format("record {} ({})", size_t(it - info->records.begin()), r.name),
                   "its array pickle (reconstruct call, shape, dtype)", r.record_offset, r.record_end);
}

}  // namespace ckpt::ttml
