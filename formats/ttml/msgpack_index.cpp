// Stage 1 of the tt-train msgpack reader: one pass over the file with the bounded
// tokenizer, recording every top-level key with its variant index, payload type and byte
// range. Data arrays are walked element by element (nothing is materialised), so memory
// depends on the number of keys, never on the file size.
#include <fmt/format.h>

#include <unordered_map>

#include "msgpack_internal.hpp"
#include "msgpack_walk.hpp"

namespace ckpt::ttml {

void add_finding(Checkpoint& cp, std::string rule, Severity sev, std::string message, std::optional<uint64_t> offset,
                 std::string subject) {
  cp.findings.push_back({std::move(rule), sev, std::move(message), offset, std::move(subject)});
}

std::string printable_preview(const std::vector<uint8_t>& bytes, uint64_t full_len, bool is_str) {
  bool printable = is_str;
  for (uint8_t b : bytes) printable = printable && b >= 0x20 && b < 0x7f;
  if (printable && full_len == bytes.size()) {
    std::string q(1, '"');
    q.append(bytes.begin(), bytes.end());
    q.push_back('"');
    return q;
  }
  std::string s = fmt::format("{} bytes", full_len);
  if (!bytes.empty() && bytes.size() <= 32) {
    s += ":";
    for (uint8_t b : bytes) s += fmt::format(" {:02x}", b);
  }
  return s;
}

namespace {

constexpr size_t kSmallBytes = 256;  // str/bin payloads kept for shapes and previews
constexpr size_t kPayloadDepth = 3;  // map (1) > [variant, payload] (2) > payload (3)

std::string number_text(const MsgHead& h) {
  switch (h.type) {
    case MsgType::uint:
      return std::to_string(h.u);
    case MsgType::sint:
      return std::to_string(h.i);
    default:
      return fmt::format("{}", h.d);
  }
}

class Indexer {
 public:
  Indexer(const ByteSource& src, Checkpoint& cp, TtmlInfo& info) : c_(src, 0), cp_(cp), info_(info) {
    c_.max_depth = cp.limits.max_msgpack_depth;
  }

  void run() {
    MsgHead top;
    if (!head(top, "the top-level map")) return;
    if (top.type != MsgType::map) {
      add_finding(cp_, "ttml.top_level", Severity::error,
                  fmt::format("the file starts with a msgpack {}, not the map of keys tt-train writes",
                              msg_type_name(top.type)),
                  uint64_t(0));
      return;
    }
    info_.map_count = top.len;
    info_.map_header_bytes = top.head_len;
    if (!container_fits(top, c_.remaining())) {
      // Keep going: the entries that are there are still worth listing.
      add_finding(cp_, "ttml.length", Severity::error,
                  fmt::format("the top-level map declares {} entries, but only {} bytes follow (each entry needs 2 "
                              "at least): the count is corrupt or the file is truncated",
                              top.len, c_.remaining()),
                  uint64_t(0));
      length_reported_ = true;
    }
    for (uint64_t i = 0; i < top.len; ++i) {
      if (c_.remaining() == 0) {
        if (!length_reported_)
          add_finding(cp_, "ttml.truncated", Severity::error,
                      fmt::format("the file ends at byte {} after {} of the {} entries the map declares", c_.size(), i,
                                  top.len),
                      c_.size());
        return;
      }
      // The index holds one record per key: the cap keeps a hostile file of millions of
      // tiny entries from making memory grow with the file.
      if (i == cp_.limits.max_msgpack_entries) {
        add_finding(
            cp_, "ttml.too_many_keys", Severity::error,
            fmt::format("more than {} keys: the rest of the file is not indexed", cp_.limits.max_msgpack_entries),
            c_.pos());
        return;
      }
      if (!entry()) return;
    }
    info_.parsed_end = c_.pos();
    if (c_.remaining() > 0) {
      cp_.trailing_bytes = c_.remaining();
      add_finding(cp_, "ttml.trailing", Severity::warning,
                  fmt::format("{} bytes follow the end of the top-level map (msgpack-c ignores them)", c_.remaining()),
                  c_.pos());
    }
  }

 private:
  // Reads a header; on failure records the finding and returns false.
  bool head(MsgHead& h, std::string_view what, const std::string& subject = {}) {
    switch (read_head(c_, h)) {
      case HeadStatus::ok:
        return true;
      case HeadStatus::eof:
        truncated(h.offset, what, subject);
        return false;
      case HeadStatus::bad_byte:
        add_finding(cp_, "ttml.bad_byte", Severity::error,
                    fmt::format("byte 0xc1 (never used by msgpack) where {} should start", what), h.offset, subject);
        return false;
    }
    return false;
  }

  void truncated(uint64_t at, std::string_view what, const std::string& subject) {
    if (c_.io_error()) {
      add_finding(cp_, "ttml.io", Severity::error, fmt::format("cannot read the file at byte {}", at), at, subject);
      return;
    }
    add_finding(cp_, "ttml.truncated", Severity::error,
                fmt::format("the file ends at byte {} inside {}", c_.size(), what), at, subject);
  }

  bool fits(const MsgHead& h, std::string_view what, const std::string& subject) {
    if (container_fits(h, c_.remaining())) return true;
    add_finding(cp_, "ttml.length", Severity::error,
                fmt::format("{} declares {} {} but only {} bytes remain in the file", what, h.len,
                            h.type == MsgType::array || h.type == MsgType::map ? "elements" : "bytes", c_.remaining()),
                h.offset, subject);
    return false;
  }

  // Turns a failed walk into its finding. Returns false (the index stops there).
  bool walk_failed(const WalkResult& r, std::string_view what, const std::string& subject) {
    switch (r.status) {
      case WalkStatus::ok:
        return true;
      case WalkStatus::eof:
        truncated(r.fail_offset, what, subject);
        break;
      case WalkStatus::length: {
        add_finding(cp_, "ttml.length", Severity::error,
                    fmt::format("a length inside {} is larger than the rest of the file", what), r.fail_offset,
                    subject);
        break;
      }
      case WalkStatus::bad_byte:
        add_finding(cp_, "ttml.bad_byte", Severity::error, fmt::format("byte 0xc1 inside {}", what), r.fail_offset,
                    subject);
        break;
      case WalkStatus::depth:
        add_finding(cp_, "ttml.depth", Severity::error,
                    fmt::format("{} nests deeper than {} levels", what, c_.max_depth), r.fail_offset, subject);
        break;
    }
    return false;
  }

  bool entry() {
    TtmlEntry e;
    e.key_offset = c_.pos();
    MsgHead k;
    if (!head(k, "a key")) return false;
    if (k.type != MsgType::str) {
      add_finding(cp_, "ttml.key_type", Severity::error,
                  fmt::format("a key is a msgpack {}, not a string", msg_type_name(k.type)), k.offset);
      if (k.type == MsgType::bin || k.type == MsgType::ext || k.type == MsgType::array || k.type == MsgType::map) {
        if (!fits(k, "the key", {})) return false;
        if (k.type == MsgType::array || k.type == MsgType::map) {
          auto r = skip_items(c_, k.type == MsgType::map ? k.len * 2 : k.len, 3);
          if (!walk_failed(r, "a key", {})) return false;
        } else {
          c_.advance(k.len);
        }
      }
      e.key = fmt::format("<{} key at byte {}>", msg_type_name(k.type), k.offset);
    } else {
      if (!fits(k, "the key", {})) return false;
      if (k.len > cp_.limits.max_msgpack_key_bytes) {
        add_finding(cp_, "ttml.key_length", Severity::error,
                    fmt::format("a key of {} bytes (tt-train keys are short paths)", k.len), k.offset);
        c_.advance(k.len);
        e.key = fmt::format("<key of {} bytes at byte {}>", k.len, k.offset);
      } else {
        std::vector<uint8_t> bytes;
        if (!c_.take(size_t(k.len), bytes)) {
          truncated(c_.pos(), "a key", {});
          return false;
        }
        e.key.assign(bytes.begin(), bytes.end());
      }
    }
    const bool ok = value(e);
    if (!ok) {
      e.complete = false;
      e.end = c_.size();
    } else {
      e.end = c_.pos();
    }
    record(std::move(e));
    return ok;
  }

  void record(TtmlEntry e) {
    auto [it, inserted] = seen_.try_emplace(e.key, info_.entries.size());
    if (!inserted) {
      add_finding(cp_, "ttml.duplicate_key", Severity::warning,
                  fmt::format("key {} appears again (first at byte {}); msgpack-c keeps this last one", e.key,
                              info_.entries[it->second].key_offset),
                  e.key_offset, e.key);
      info_.entries[it->second].shadowed = true;
      it->second = info_.entries.size();
    }
    info_.entries.push_back(std::move(e));
  }

  // The value `[variant, payload]`.
  bool value(TtmlEntry& e) {
    e.value_offset = c_.pos();
    MsgHead v;
    if (!head(v, "the value of " + e.key, e.key)) return false;
    if (v.type == MsgType::map) {
      // A msgpack_numpy array written in place of the whole value.
      e.payload_offset = v.offset;
      return payload_from_head(e, v);
    }
    if (v.type != MsgType::array || v.len != 2) {
      add_finding(
          cp_, "ttml.value_shape", Severity::error,
          fmt::format("the value of {} is a msgpack {}{}, not the 2-element array [variant, payload]", e.key,
                      msg_type_name(v.type), v.type == MsgType::array ? fmt::format(" of {} elements", v.len) : ""),
          v.offset, e.key);
      e.payload_offset = v.offset;
      e.type = v.type;
      e.count = v.len;
      return skip_rest(v, e.key);
    }
    MsgHead idx;
    if (!head(idx, "the variant index of " + e.key, e.key)) return false;
    if (idx.type == MsgType::uint) {
      e.variant = int64_t(std::min<uint64_t>(idx.u, uint64_t(INT64_MAX)));
    } else {
      add_finding(cp_, "ttml.variant_index", Severity::error,
                  fmt::format("the variant index of {} is a msgpack {}, not a small unsigned integer", e.key,
                              msg_type_name(idx.type)),
                  idx.offset, e.key);
      if (!skip_rest(idx, e.key, kPayloadDepth + 1)) return false;
    }
    e.payload_offset = c_.pos();
    MsgHead p;
    if (!head(p, "the payload of " + e.key, e.key)) return false;
    return payload_from_head(e, p);
  }

  // Skips whatever follows a header already read (its bytes or elements); `level` is the
  // nesting level of that header's elements.
  bool skip_rest(const MsgHead& h, const std::string& subject, size_t level = kPayloadDepth) {
    if (h.type == MsgType::str || h.type == MsgType::bin || h.type == MsgType::ext) {
      if (!fits(h, "a value", subject)) return false;
      c_.advance(h.len);
    } else if (h.type == MsgType::array || h.type == MsgType::map) {
      if (!fits(h, "a value", subject)) return false;
      auto r = skip_items(c_, h.type == MsgType::map ? h.len * 2 : h.len, level);
      return walk_failed(r, "the value of " + subject, subject);
    }
    return true;
  }

  bool payload_from_head(TtmlEntry& e, const MsgHead& p) {
    e.type = p.type;
    switch (p.type) {
      case MsgType::nil:
        e.preview = "nil";
        return true;
      case MsgType::boolean:
        e.bool_value = p.b;
        e.preview = p.b ? "true" : "false";
        return true;
      case MsgType::uint:
        if (p.u <= uint64_t(INT64_MAX)) e.int_value = int64_t(p.u);
        e.float_value = double(p.u);
        e.preview = number_text(p);
        return true;
      case MsgType::sint:
        e.int_value = p.i;
        e.float_value = double(p.i);
        e.preview = number_text(p);
        return true;
      case MsgType::f32:
      case MsgType::f64:
        e.float_value = p.d;
        e.preview = number_text(p);
        return true;
      case MsgType::str:
      case MsgType::bin:
      case MsgType::ext: {
        e.count = p.len;
        e.data_offset = c_.pos();
        if (!fits(p, "the payload of " + e.key, e.key)) return false;
        if (p.len <= kSmallBytes) {
          if (!c_.take(size_t(p.len), e.small_bytes)) return false;
        } else {
          c_.advance(p.len);  // long strings and blobs are summarised by their length
        }
        e.preview = printable_preview(e.small_bytes, p.len, p.type == MsgType::str);
        return true;
      }
      case MsgType::array:
        return array(e, p);
      case MsgType::map:
        return map(e, p);
      case MsgType::invalid:
        return false;
    }
    return false;
  }

  bool array(TtmlEntry& e, const MsgHead& p) {
    e.count = p.len;
    e.data_offset = c_.pos();
    if (!fits(p, "the array of " + e.key, e.key)) return false;
    std::string shown;
    uint64_t n_str = 0;
    auto r = walk_elements(
        c_, p.len, kPayloadDepth,
        [&](uint64_t i, MsgType t, double v, uint64_t off) {
          switch (t) {
            case MsgType::f64:
              ++e.n_f64;
              break;
            case MsgType::f32:
              ++e.n_f32;
              break;
            default:
              ++e.n_int;
              break;
          }
          if ((t == MsgType::f32 || t == MsgType::f64) && !e.first_float) e.first_float = off;
          if (i < 8) shown += (i ? ", " : "") + fmt::format("{}", v);
        },
        [&](uint64_t i, const MsgHead& h) {
          ++e.n_other;
          n_str += h.type == MsgType::str;
          if (!e.first_non_number) e.first_non_number = h.offset;
          if (i < 8) shown += (i ? ", " : "") + std::string("<") + std::string(msg_type_name(h.type)) + ">";
        });
    e.elements_present = r.done;
    e.preview = fmt::format("array of {}: [{}{}]", p.len, shown, p.len > 8 ? ", ..." : "");
    return walk_failed(r, "the array of " + e.key, e.key);
  }

  // A map payload: a msgpack_numpy array {nd, type, kind, shape, data} or anything else.
  bool map(TtmlEntry& e, const MsgHead& p) {
    e.count = p.len;
    e.data_offset = c_.pos();
    if (!fits(p, "the map of " + e.key, e.key)) return false;
    bool nd = false, has_data = false;
    for (uint64_t i = 0; i < p.len; ++i) {
      MsgHead k;
      if (!head(k, "a key of the map in " + e.key, e.key)) return false;
      std::string name;
      if ((k.type == MsgType::str || k.type == MsgType::bin) && k.len <= 16) {
        std::vector<uint8_t> b;
        if (!c_.take(size_t(k.len), b)) {
          truncated(c_.pos(), "a key of the map in " + e.key, e.key);
          return false;
        }
        name.assign(b.begin(), b.end());
      } else if (!skip_rest(k, e.key, kPayloadDepth + 2)) {
        return false;
      }
      MsgHead v;
      if (!head(v, "a value of the map in " + e.key, e.key)) return false;
      if (name == "nd" && v.type == MsgType::boolean) {
        nd = v.b;
      } else if (name == "type" && (v.type == MsgType::str || v.type == MsgType::bin) && v.len <= 64) {
        std::vector<uint8_t> b;
        if (!c_.take(size_t(v.len), b)) {
          truncated(c_.pos(), "the numpy type of " + e.key, e.key);
          return false;
        }
        e.numpy_type.assign(b.begin(), b.end());
      } else if (name == "shape" && v.type == MsgType::array && v.len <= 32) {
        bool ok = true;
        auto r = walk_elements(
            c_, v.len, kPayloadDepth + 1,
            [&](uint64_t, MsgType t, double x, uint64_t) {
              if (t != MsgType::uint) ok = false;
              e.numpy_shape.push_back(uint64_t(x));
            },
            [&](uint64_t, const MsgHead&) { ok = false; });
        if (!walk_failed(r, "the numpy shape of " + e.key, e.key)) return false;
        if (!ok) {
          add_finding(cp_, "ttml.numpy", Severity::error,
                      fmt::format("the numpy shape of {} holds something other than unsigned integers", e.key),
                      v.offset, e.key);
          e.numpy_shape.clear();
        }
      } else if (name == "data" && v.type == MsgType::bin) {
        if (!fits(v, "the numpy data of " + e.key, e.key)) return false;
        e.numpy_data_offset = c_.pos();
        e.numpy_data_bytes = v.len;
        has_data = true;
        c_.advance(v.len);
      } else if (!skip_rest(v, e.key, kPayloadDepth + 2)) {
        return false;
      }
    }
    e.numpy = nd && has_data && !e.numpy_type.empty();
    e.preview = e.numpy ? fmt::format("numpy array {} of {} bytes", e.numpy_type, e.numpy_data_bytes)
                        : fmt::format("map of {} entries", p.len);
    return true;
  }

  MsgCursor c_;
  Checkpoint& cp_;
  TtmlInfo& info_;
  std::unordered_map<std::string, size_t> seen_;
  bool length_reported_ = false;
};

}  // namespace

void index_ttml(const ByteSource& src, Checkpoint& cp, TtmlInfo& info) { Indexer(src, cp, info).run(); }

}  // namespace ckpt::ttml
