// Stage 2 of the tt-train msgpack reader: decide the era of the variant table, check
// each variant against its payload, and group the keys into tensors and metadata.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <unordered_map>

#include "ckpt/checked.hpp"
#include "ckpt/le.hpp"
#include "msgpack_internal.hpp"

namespace ckpt::ttml {

namespace {

bool is_int_array(const TtmlEntry& e) { return e.type == MsgType::array && e.n_f32 + e.n_f64 + e.n_other == 0; }
bool is_str_array(const TtmlEntry& e) { return e.type == MsgType::array && e.n_int + e.n_f32 + e.n_f64 == 0; }

// Evidence for one table or the other (FORMATS.md: 12 and 13 changed meaning, shapes
// changed from an opaque string to uint32 bytes).
void decide_era(Checkpoint& cp, TtmlInfo& info) {
  std::string why24, why25;
  uint64_t n24 = 0, n25 = 0;
  auto vote = [](uint64_t& n, std::string& why, std::string reason) {
    if (n++ == 0) why = std::move(reason);
  };
  for (const auto& e : info.entries) {
    if (e.shadowed) continue;
    if (e.key.ends_with("/shape") && e.variant == 7 && e.type == MsgType::str)
      vote(n24, why24, fmt::format("{} is an opaque string (variant 7), not uint32 bytes", e.key));
    if (e.variant == 12 && e.type == MsgType::array && e.count > 0)
      vote(n24, why24, fmt::format("{} has variant 12 with an array (vector<uint32_t> in 2024)", e.key));
    if (e.variant == 13 && e.type == MsgType::array && e.count > 0 && is_str_array(e))
      vote(n24, why24, fmt::format("{} has variant 13 with strings (vector<string> in 2024)", e.key));
    if (e.variant == 12 && e.type == MsgType::bin)
      vote(n25, why25, fmt::format("{} has variant 12 with binary bytes (vector<uint8_t>)", e.key));
    if (e.variant == 13 && e.type == MsgType::array && e.count > 0 && is_int_array(e))
      vote(n25, why25, fmt::format("{} has variant 13 with integers (vector<uint32_t>)", e.key));
    if (e.variant == 14) vote(n25, why25, fmt::format("{} has variant 14 (vector<string>)", e.key));
  }
  if (n24 > 0 && n25 == 0) {
    info.era = TtmlEra::y2024;
    info.era_reason = why24;
    add_finding(cp, "ttml.era", Severity::info,
                "an October/November 2024 file (old variant table, shapes stored as opaque C++ struct dumps): " +
                    why24 + "; tensor shapes are shown flat, as element counts",
                std::nullopt);
  } else if (n25 > 0 && n24 == 0) {
    info.era = TtmlEra::y2025;
    info.era_reason = why25;
  } else if (n24 > 0 && n25 > 0) {
    info.era = TtmlEra::y2025;
    info.era_reason = why25 + "; but " + why24;
    add_finding(cp, "ttml.era", Severity::warning,
                "the file mixes both variant tables: " + why25 + ", but " + why24 + "; read with the 2025 table",
                std::nullopt);
  } else {
    info.era = TtmlEra::undecided;
    info.era_reason = "no shape, vector<uint8_t> or vector<string> entry tells the two tables apart";
  }
}

// Whether payload type t may carry variant v under the era's table.
bool variant_accepts(TtmlEra era, int64_t v, const TtmlEntry& e) {
  const MsgType t = e.type;
  const bool number = t == MsgType::uint || t == MsgType::sint || t == MsgType::f32 || t == MsgType::f64;
  if (e.numpy) return true;  // msgpack_numpy replaced an array payload
  switch (v) {
    case 0:
      return t == MsgType::boolean;
    case 1:
    case 2:
      return t == MsgType::uint || t == MsgType::sint;
    case 3:
    case 4:
      return number;
    case 5:
    case 6:
      return t == MsgType::uint;
    case 7:
      return t == MsgType::str;
    case 8:
      return t == MsgType::bin;
    case 9:
    case 10:
    case 11:
      return t == MsgType::array;
    case 12:
      return era == TtmlEra::y2024 ? t == MsgType::array : t == MsgType::bin;
    case 13:
      return t == MsgType::array;
    case 14:
      return era != TtmlEra::y2024 && t == MsgType::array;
    default:
      return false;
  }
}

std::string_view variant_cpp_type(TtmlEra era, int64_t v) {
  static const char* names[] = {"bool",
                                "char",
                                "int",
                                "float",
                                "double",
                                "uint32_t",
                                "size_t",
                                "std::string",
                                "vector<char>",
                                "vector<int>",
                                "vector<float>",
                                "vector<double>",
                                "vector<uint8_t>",
                                "vector<uint32_t>",
                                "vector<string>"};
  if (era == TtmlEra::y2024 && v == 12) return "vector<uint32_t>";
  if (era == TtmlEra::y2024 && v == 13) return "vector<string>";
  if (v >= 0 && v <= 14) return names[v];
  return "?";
}

// Element checks for array variants: float arrays take any number, integer arrays only
// integers, string arrays only strings.
void check_elements(Checkpoint& cp, TtmlEra era, const TtmlEntry& e) {
  if (e.type != MsgType::array || e.numpy) return;
  const int64_t v = e.variant;
  const bool float_array = v == 10 || v == 11;
  const bool int_array = v == 9 || (era == TtmlEra::y2024 ? v == 12 : v == 13);
  const bool str_array = era == TtmlEra::y2024 ? v == 13 : v == 14;
  if (float_array && e.n_other > 0)
    add_finding(cp, "ttml.non_number", Severity::error,
                fmt::format("{}: {} of its {} elements are not numbers (a {} holds only numbers)", e.key, e.n_other,
                            e.count, variant_cpp_type(era, v)),
                e.first_non_number, e.key);
  if (int_array && (e.n_other > 0 || e.n_f32 + e.n_f64 > 0))
    add_finding(cp, "ttml.non_number", Severity::error,
                fmt::format("{}: {} of its {} elements are not integers (a {} holds only integers)", e.key,
                            e.n_other + e.n_f32 + e.n_f64, e.count, variant_cpp_type(era, v)),
                e.first_float && (!e.first_non_number || *e.first_float < *e.first_non_number) ? e.first_float
                                                                                               : e.first_non_number,
                e.key);
  if (str_array && e.n_int + e.n_f32 + e.n_f64 > 0)
    add_finding(cp, "ttml.variant_mismatch", Severity::error,
                fmt::format("{}: variant {} ({}) but the array holds numbers", e.key, v, variant_cpp_type(era, v)),
                e.payload_offset, e.key);
}

void check_variants(Checkpoint& cp, const TtmlInfo& info) {
  const TtmlEra era = info.era;
  const int64_t max_variant = era == TtmlEra::y2024 ? 13 : 14;
  for (const auto& e : info.entries) {
    if (e.variant < 0 || e.type == MsgType::invalid) continue;
    if (e.variant > max_variant) {
      add_finding(cp, "ttml.variant_index", Severity::error,
                  fmt::format("{}: variant index {} is not in the table (0..{})", e.key, e.variant, max_variant),
                  e.value_offset + 1, e.key);
      continue;
    }
    if (!variant_accepts(era, e.variant, e)) {
      add_finding(cp, "ttml.variant_mismatch", Severity::error,
                  fmt::format("{}: variant {} ({}) but the payload is a msgpack {}", e.key, e.variant,
                              variant_cpp_type(era, e.variant), msg_type_name(e.type)),
                  e.payload_offset, e.key);
      continue;
    }
    check_elements(cp, era, e);
  }
}

// numpy type strings: optional byte order, kind letter, item size ("<f4", "|u1").
struct NumpyType {
  bool ok = false, big_endian = false;
  char kind = 0;
  uint32_t size = 0;
};
NumpyType parse_numpy_type(std::string_view s) {
  NumpyType t;
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
    t.big_endian = s[0] == '>';
    s.remove_prefix(1);
  }
  if (s.size() < 2) return t;
  t.kind = s[0];
  for (char ch : s.substr(1)) {
    if (ch < '0' || ch > '9') return t;
    t.size = t.size * 10 + uint32_t(ch - '0');
    if (t.size > 16) return t;
  }
  const bool f = t.kind == 'f' && (t.size == 2 || t.size == 4 || t.size == 8);
  const bool iu = (t.kind == 'i' || t.kind == 'u') && (t.size == 1 || t.size == 2 || t.size == 4 || t.size == 8);
  const bool b = t.kind == 'b' && t.size == 1;
  t.ok = f || iu || b;
  return t;
}

class Grouper {
 public:
  Grouper(Checkpoint& cp, TtmlInfo& info) : cp_(cp), info_(info) {
    for (size_t i = 0; i < info_.entries.size(); ++i)
      if (!info_.entries[i].shadowed) by_key_[info_.entries[i].key] = i;
  }

  void run() {
    for (size_t i = 0; i < info_.entries.size(); ++i) {
      const TtmlEntry& e = info_.entries[i];
      if (e.shadowed || used_.count(i)) continue;
      if (e.key.ends_with("/data") && (e.type == MsgType::array || e.numpy))
        add_tensor(i, e.key.substr(0, e.key.size() - 5));
      else if (e.numpy)
        add_tensor(i, e.key);
    }
    for (size_t i = 0; i < info_.entries.size(); ++i) {
      const TtmlEntry& e = info_.entries[i];
      if (e.shadowed || used_.count(i)) continue;
      if (e.key.ends_with("/value/shape") || (e.key.ends_with("/grad/shape")))
        add_finding(cp_, "ttml.tensor_parts", Severity::warning,
                    fmt::format("{} has no matching {}/data: a tensor without values", e.key,
                                e.key.substr(0, e.key.size() - 6)),
                    e.key_offset, e.key);
      cp_.metadata.push_back(MetadataEntry{e.key, e.variant, std::string(msg_type_name(e.type)), e.preview,
                                           e.key_offset, e.end - e.key_offset});
    }
  }

 private:
  const TtmlEntry* part(const std::string& key) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return nullptr;
    used_.insert(it->second);
    return &info_.entries[it->second];
  }

  void add_tensor(size_t data_index, const std::string& base) {
    const TtmlEntry& d = info_.entries[data_index];
    used_.insert(data_index);
    TensorInfo t;
    TtmlTensor x;
    x.entry = data_index;
    const bool is_value = base.ends_with("/value");
    x.name = is_value ? base.substr(0, base.size() - 6) : base;
    t.spec.name = x.name;
    const TtmlEntry* shape = d.numpy ? nullptr : part(base + "/shape");
    if (const TtmlEntry* p = part(base + "/data_type"); p && p->int_value) x.data_type = *p->int_value;
    if (const TtmlEntry* p = part(base + "/layout"); p && p->int_value) x.layout = *p->int_value;
    if (const TtmlEntry* p = part(base + "/storage_type"); p && p->int_value) x.storage_type = *p->int_value;
    if (is_value) {
      if (const TtmlEntry* p = part(x.name + "/requires_grads")) x.requires_grads = p->bool_value;
      if (const TtmlEntry* p = part(x.name + "/has_grads")) x.has_grads = p->bool_value;
    }
    if (d.numpy)
      numpy_tensor(d, t, x);
    else
      array_tensor(d, shape, t, x);
    t.place.storage = Storage::encoded;  // msgpack numbers of varying width, or numpy bytes
    cp_.tensors.push_back(std::move(t));
    info_.tensors.push_back(std::move(x));
  }

  void set_status(const TtmlEntry& d, TensorInfo& t) {
    t.data_available = std::min(t.place.nbytes, cp_.file_size - std::min(cp_.file_size, t.place.offset));
    if (!d.complete) {
      t.status = TensorStatus::truncated;
      t.truncated_at = cp_.file_size;
    }
  }

  void check_numel(const TtmlEntry& d, TensorInfo& t, uint64_t have, std::string_view what) {
    if (!d.complete || t.spec.numel == have) return;
    add_finding(cp_, "ttml.numel_mismatch", Severity::error,
                fmt::format("{}: the shape {} holds {} elements but the data {} {}", t.spec.name,
                            fmt::join(t.spec.shape, "x"), t.spec.numel, what, have),
                d.payload_offset, t.spec.name);
  }

  void numpy_tensor(const TtmlEntry& d, TensorInfo& t, TtmlTensor& x) {
    x.encoding = TtmlTensor::Encoding::raw;
    x.element_type = d.numpy_type;
    x.elements_offset = d.numpy_data_offset;
    const NumpyType nt = parse_numpy_type(d.numpy_type);
    t.spec.dtype = nt.kind == 'u' && nt.size == 4 ? DType::u32 : DType::f32;
    t.spec.shape = d.numpy_shape;
    CheckedU64 n = 1;
    for (uint64_t s : t.spec.shape) n *= s;
    t.spec.numel = n.ok() ? n.value() : 0;
    t.place.offset = d.numpy_data_offset;
    t.place.nbytes = d.numpy_data_bytes;
    set_status(d, t);
    if (!nt.ok) {
      add_finding(cp_, "ttml.numpy", Severity::error,
                  fmt::format("{}: numpy type \"{}\" is not a number type ckpt reads", t.spec.name, d.numpy_type),
                  d.payload_offset, t.spec.name);
      return;
    }
    x.uniform_stride = true;
    x.stride = nt.size;
    x.elements_present = std::min(t.spec.numel, t.data_available / nt.size);
    if (!n.ok() || d.numpy_data_bytes % nt.size != 0 || t.spec.numel != d.numpy_data_bytes / nt.size)
      check_numel(d, t, d.numpy_data_bytes / nt.size,
                  fmt::format("holds {} bytes of {}, that is", d.numpy_data_bytes, d.numpy_type));
  }

  void array_tensor(const TtmlEntry& d, const TtmlEntry* shape, TensorInfo& t, TtmlTensor& x) {
    x.elements_offset = d.data_offset;
    x.elements_present = d.elements_present;
    if (d.complete && d.count > 0 && (d.n_f64 == d.count || d.n_f32 == d.count)) {
      x.uniform_stride = true;
      x.stride = d.n_f64 == d.count ? 9 : 5;
    }
    // dtype: the data_type field when present, else what the variant says.
    const bool u32_variant = d.variant == (info_.era == TtmlEra::y2024 ? 12 : 13);
    t.spec.dtype = u32_variant ? DType::u32 : DType::f32;
    if (x.data_type == 0)
      t.spec.dtype = DType::bf16;
    else if (x.data_type == 1)
      t.spec.dtype = DType::f32;
    else if (x.data_type == 2)
      t.spec.dtype = DType::u32;
    else if (x.data_type >= 0)
      add_finding(
          cp_, "ttml.data_type", Severity::warning,
          fmt::format("{}: data_type {} is not bfloat16 (0), float32 (1) or uint32 (2)", t.spec.name, x.data_type),
          std::nullopt, t.spec.name);
    t.spec.shape = shape_of(shape, d, t.spec.name);
    CheckedU64 n = 1;
    for (uint64_t s : t.spec.shape) n *= s;
    t.spec.numel = n.ok() ? n.value() : 0;
    t.place.offset = d.payload_offset;
    t.place.nbytes = d.end - d.payload_offset;
    set_status(d, t);
    check_numel(d, t, d.count, "array has");
  }

  std::vector<uint64_t> shape_of(const TtmlEntry* s, const TtmlEntry& d, const std::string& name) {
    const std::vector<uint64_t> flat{d.count};
    if (!s) {
      add_finding(cp_, "ttml.tensor_parts", Severity::warning,
                  fmt::format("{} has data but no shape key: shown flat", name), d.key_offset, name);
      return flat;
    }
    if (s->type == MsgType::bin && s->count % 4 == 0 && s->small_bytes.size() == s->count) {
      std::vector<uint64_t> shape;
      for (size_t i = 0; i + 4 <= s->small_bytes.size(); i += 4) shape.push_back(load_u32(&s->small_bytes[i]));
      return shape;
    }
    if (s->type == MsgType::str) return flat;  // 2024: opaque struct dump (the era finding says so)
    add_finding(cp_, "ttml.shape", Severity::error,
                fmt::format("{}: the shape is a msgpack {} of {} bytes, not rank x uint32 bytes", name,
                            msg_type_name(s->type), s->count),
                s->payload_offset, name);
    return flat;
  }

  Checkpoint& cp_;
  TtmlInfo& info_;
  std::unordered_map<std::string, size_t> by_key_;
  std::set<size_t> used_;
};

}  // namespace

void group_ttml_tensors(Checkpoint& cp, TtmlInfo& info) {
  decide_era(cp, info);
  check_variants(cp, info);
  Grouper(cp, info).run();
}

}  // namespace ckpt::ttml
