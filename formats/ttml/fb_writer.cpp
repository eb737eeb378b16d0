// The tt-train flatbuffer writers: what FlatBufferFile::serialize writes for a Llama model
// saved under a prefix (nano_gpt --save_and_exit): per parameter a bfloat16 TILE
// .tensorbin (ttnn's single-device header: mesh [1, 1], one shard at [0, 0], a replicated
// topology) and the metadata pairs write_ttnn_tensor / write_autograd_tensor put beside
// it. Values are tilized a tile row at a time, so memory stays at 32 rows.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "ckpt/checked.hpp"
#include "fb_build.hpp"
#include "fb_internal.hpp"
#include "llama_params.hpp"
#include "tile_codec.hpp"
#include "ttml.hpp"

namespace ckpt::ttml {

namespace {

constexpr uint64_t kTileBytesBf16 = 2048;
constexpr int kDataTypeBf16 = 0, kLayoutTile = 1, kStorageDevice = 1;

uint64_t ceil32(uint64_t x) { return (x + kTile - 1) / kTile * kTile; }

std::string file_name_of(const std::string& key) {
  std::string f = key;
  std::replace(f.begin(), f.end(), '/', '_');
  std::replace(f.begin(), f.end(), '\\', '_');
  return f + ".tensorbin";
}

// The header of a single-device bfloat16 TILE tensor of `nbytes` data bytes: ttnn's
// defaults (mesh [1, 1], one shard at [0, 0], a replicated topology).
std::vector<uint8_t> tensor_header(const std::vector<uint32_t>& dims, uint64_t nbytes) {
  TensorbinSpec spec;
  spec.shape = dims;
  spec.data_type = uint8_t(TtDType::bfloat16);
  spec.tile = true;
  spec.shards = {TensorbinShardSpec{{0, 0}, 0, nbytes}};
  return build_tensorbin_header(spec);
}

// A parameter's file: its header and where its tiles go.
struct TensorFile {
  std::string key, file;
  const LlamaParamPlan* param = nullptr;
  uint64_t rows = 0, cols = 0;  // the logical matrix (a norm is one row)
  std::vector<uint8_t> header;
  uint64_t data_bytes = 0;
  uint64_t size() const { return 8 + header.size() + data_bytes; }
};

TensorFile plan_file(const std::string& prefix, const LlamaParamPlan& p) {
  TensorFile f;
  f.key = prefix + "/" + p.name + "/value";
  f.file = file_name_of(f.key);
  f.param = &p;
  f.rows = p.dims[2];
  f.cols = p.dims[3];
  f.data_bytes = ceil32(f.rows) / kTile * (ceil32(f.cols) / kTile) * kTileBytesBf16;
  f.header = tensor_header(p.dims, f.data_bytes);
  return f;
}

// Tilizes a stream of row-major values: 32 rows are gathered, padded with zeros, and
// written as one row of bfloat16 tiles.
class TileRowWriter {
 public:
  TileRowWriter(ByteSink& out, uint64_t data_at, uint64_t rows, uint64_t cols)
      : out_(out),
        at_(data_at),
        rows_(rows),
        cols_(cols),
        pcols_(ceil32(cols)),
        block_(size_t(kTile * pcols_), 0.0f),
        bytes_(size_t(pcols_ / kTile * kTileBytesBf16)) {}

  Result<bool> push(const float* v, size_t n) {
    while (n > 0) {
      const uint64_t r = filled_ / cols_, c = filled_ % cols_;
      const size_t k = size_t(std::min<uint64_t>(n, cols_ - c));
      float* dst = block_.data() + (r % kTile) * pcols_ + c;
      for (size_t i = 0; i < k; ++i) {
        const float rounded = std::bit_cast<float>(uint32_t(to_bf16_bits(v[i])) << 16);
        if (std::isfinite(v[i])) max_error_ = std::max(max_error_, std::fabs(v[i] - rounded));
        dst[i] = v[i];
      }
      v += k, n -= k, filled_ += k;
      if (filled_ % (kTile * cols_) == 0) {
        auto r2 = flush_row();
        if (!r2) return r2;
      }
    }
    return true;
  }

  // Writes the last, partly filled tile row.
  Result<bool> finish() {
    if (filled_ % (kTile * cols_) != 0 || (filled_ == 0 && rows_ > 0)) return flush_row();
    return true;
  }
  uint64_t filled() const { return filled_; }
  float max_error() const { return max_error_; }

 private:
  Result<bool> flush_row() {
    // Rows past the ones filled are padding: zero them (they may hold an earlier row's values).
    const uint64_t in_row = filled_ % (kTile * cols_) == 0 && filled_ > 0 ? kTile : (filled_ / cols_) % kTile;
    for (uint64_t r = in_row; r < kTile; ++r) std::fill_n(block_.data() + r * pcols_, pcols_, 0.0f);
    for (uint64_t t = 0; t < pcols_ / kTile; ++t)
      encode_bf16_tile(block_.data() + t * kTile, size_t(pcols_), bytes_.data() + t * kTileBytesBf16);
    // Padding columns are never written: they stay zero from the start.
    auto r = out_.write_at(at_, bytes_.data(), bytes_.size());
    at_ += bytes_.size();
    return r;
  }

  ByteSink& out_;
  uint64_t at_;
  uint64_t rows_, cols_, pcols_;
  std::vector<float> block_;
  std::vector<uint8_t> bytes_;
  uint64_t filled_ = 0;
  float max_error_ = 0;
};

// Writes one .tensorbin at `base` of out: size prefix, header, tiles.
Result<bool> write_tensorbin(ByteSink& out, uint64_t base, const TensorFile& f, const WeightSource& w,
                             WriteStats& stats) {
  const uint64_t n = f.header.size();
  uint8_t prefix[8];
  std::memcpy(prefix, &n, 8);
  if (auto r = out.write_at(base, prefix, 8); !r) return r;
  if (auto r = out.write_at(base + 8, f.header.data(), f.header.size()); !r) return r;
  TileRowWriter rows(out, base + 8 + n, f.rows, f.cols);
  for (const auto& s : f.param->segments) {
    TensorSpec spec;
    spec.name = s.canonical;
    spec.numel = s.numel;
    Result<bool> status = true;
    auto got = w.values(spec, [&](uint64_t, const float* v, size_t k) {
      status = rows.push(v, k);
      return bool(status);
    });
    if (!got) return got.error();
    if (!status) return status;
    if (*got != s.numel)
      return Error{
          ErrorCode::write_source,
          s.canonical + ": source gave " + std::to_string(*got) + " values, expected " + std::to_string(s.numel),
          {}};
  }
  const std::vector<float> zeros(size_t(std::min<uint64_t>(f.param->zeros, uint64_t(1) << 16)), 0.0f);
  for (uint64_t left = f.param->zeros; left > 0;) {
    const size_t k = size_t(std::min<uint64_t>(left, zeros.size()));
    if (auto r = rows.push(zeros.data(), k); !r) return r;
    left -= k;
  }
  if (auto r = rows.finish(); !r) return r;
  stats.max_quant_error = std::max(stats.max_quant_error, rows.max_error());
  stats.bytes += f.size();
  return true;
}

// metadata.flatbuffer: scalars in put() order (per parameter data_type, layout,
// storage_type, then requires_grads, has_grads), then the shapes, then the file names.
std::vector<uint8_t> metadata_bytes(const std::vector<TensorFile>& files) {
  std::vector<MetaPairSpec> pairs;
  for (const auto& f : files) {
    pairs.push_back(MetaPairSpec::number(f.key + "/data_type", MetaKind::i32, kDataTypeBf16));
    pairs.push_back(MetaPairSpec::number(f.key + "/layout", MetaKind::i32, kLayoutTile));
    pairs.push_back(MetaPairSpec::number(f.key + "/storage_type", MetaKind::i32, kStorageDevice));
    const std::string param = f.key.substr(0, f.key.size() - 6);  // without "/value"
    pairs.push_back(MetaPairSpec::number(param + "/requires_grads", MetaKind::boolean, 1));
    pairs.push_back(MetaPairSpec::number(param + "/has_grads", MetaKind::boolean, 0));
  }
  for (const auto& f : files) {
    std::vector<uint8_t> shape(f.param->dims.size() * 4);
    std::memcpy(shape.data(), f.param->dims.data(), shape.size());  // ttnn::Shape's bytes (LE host)
    pairs.push_back(MetaPairSpec::byte_vector(f.key + "/shape", std::move(shape)));
  }
  for (const auto& f : files) pairs.push_back(MetaPairSpec::text(f.key, f.file));
  return build_metadata(pairs);
}

std::optional<Error> check_config(const ModelConfig& c) {
  if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.vocab_size <= 0 ||
      c.dim % c.n_heads != 0)
    return Error{ErrorCode::layout_config, "the config cannot describe a Llama model", {}};
  if (uint64_t(padded_vocab(c.vocab_size)) > UINT32_MAX || uint64_t(c.dim) > UINT32_MAX ||
      uint64_t(c.hidden_dim) > UINT32_MAX)
    return Error{ErrorCode::write_size, "a dimension does not fit ttnn's uint32 shapes", {}};
  return std::nullopt;
}

std::vector<TensorFile> plan_files(const std::vector<LlamaParamPlan>& params, const std::string& prefix) {
  std::vector<TensorFile> files;
  for (const auto& p : params) files.push_back(plan_file(prefix, p));
  return files;
}

}  // namespace

Result<WriteStats> write_fb_folder(const FolderFileWriter& write_file, const ModelConfig& c, const WeightSource& w,
                                   const std::string& prefix) {
  if (auto e = check_config(c)) return *e;
  const auto params = plan_llama_params(c);
  const auto files = plan_files(params, prefix);
  WriteStats stats;
  for (const auto& f : files) {
    auto r = write_file(f.file, [&](ByteSink& s) { return write_tensorbin(s, 0, f, w, stats); });
    if (!r) return r.error();
  }
  const auto meta = metadata_bytes(files);
  auto r = write_file("metadata.flatbuffer", [&](ByteSink& s) { return s.write_at(0, meta.data(), meta.size()); });
  if (!r) return r.error();
  stats.bytes += meta.size();
  return stats;
}

Result<WriteStats> write_fb_tar(ByteSink& out, const ModelConfig& c, const WeightSource& w, const std::string& prefix) {
  if (auto e = check_config(c)) return *e;
  const auto params = plan_llama_params(c);
  const auto files = plan_files(params, prefix);
  const auto meta = metadata_bytes(files);
  WriteStats stats;
  uint64_t at = 0;
  auto header = [&](const std::string& name, uint64_t size) -> Result<bool> {
    std::array<uint8_t, 512> h;
    if (!make_tar_header(name, size, 0, h))
      return Error{ErrorCode::write_size, name + ": too long a name or too large a member for ustar", {}};
    auto r = out.write_at(at, h.data(), h.size());
    at += kTarBlock;
    return r;
  };
  auto pad = [&](uint64_t size) -> Result<bool> {
    static const uint8_t zeros[kTarBlock] = {};
    const uint64_t p = (kTarBlock - size % kTarBlock) % kTarBlock;
    auto r = p ? out.write_at(at + size, zeros, size_t(p)) : Result<bool>(true);
    at += size + p;
    return r;
  };
  if (auto r = header("metadata.flatbuffer", meta.size()); !r) return r.error();
  if (auto r = out.write_at(at, meta.data(), meta.size()); !r) return r.error();
  if (auto r = pad(meta.size()); !r) return r.error();
  for (const auto& f : files) {
    if (auto r = header(f.file, f.size()); !r) return r.error();
    if (auto r = write_tensorbin(out, at, f, w, stats); !r) return r.error();
    if (auto r = pad(f.size()); !r) return r.error();
  }
  static const uint8_t end[2 * kTarBlock] = {};
  if (auto r = out.write_at(at, end, sizeof end); !r) return r.error();
  at += sizeof end;
  stats.bytes = at;
  return stats;
}

}  // namespace ckpt::ttml
