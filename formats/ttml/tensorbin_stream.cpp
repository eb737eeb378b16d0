// Streaming a .tensorbin tensor: one forward cursor per shard (row-major runs, or tiles
// decoded a tile row at a time), and the grid that interleaves shards into the full
// tensor's row-major order.
#include "tensorbin_stream.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>

#include "ckpt/checked.hpp"
#include "tile_codec.hpp"

namespace ckpt::ttml {

namespace {

Error read_error(const ByteSource& src, uint64_t off) {
  return Error{ErrorCode::io_read, "cannot read " + src.name() + " at byte " + std::to_string(off), off};
}

// The logical elements of one shard, front to back.
class ShardCursor {
 public:
  ShardCursor(const ByteSource& src, uint64_t start, const ShardGeometry& g, size_t budget_values, ScanFinds* scan)
      : src_(src), start_(start), g_(g), scan_(scan) {
    if (g.tile) {
      const uint64_t per_row = std::max<uint64_t>(g.tiles_per_row(), 1);
      block_tiles_ = std::clamp<uint64_t>(budget_values / (kTile * kTile), 1, per_row);
    } else {
      run_cap_ = std::max<size_t>(budget_values, 1024);
    }
  }

  // The next n logical elements.
  Result<bool> read(size_t n, float* out) { return g_.tile ? read_tiled(n, out) : read_plain(n, out); }

 private:
  struct Pos {
    uint64_t s, r, c;
  };
  Pos at(uint64_t p) const {
    const uint64_t per_slice = g_.rows * g_.cols;
    return {p / per_slice, p % per_slice / g_.cols, p % g_.cols};
  }

  Result<bool> read_plain(size_t n, float* out) {
    const uint32_t w = element_bytes(g_.dtype);
    const bool dense = g_.padded_cols == g_.cols && g_.padded_rows == g_.rows;
    while (n > 0) {
      const Pos p = at(pos_);
      size_t run = dense ? n : size_t(std::min<uint64_t>(n, g_.cols - p.c));
      run = std::min(run, run_cap_);
      const uint64_t off = start_ + g_.byte_of(p.s, p.r, p.c);
      raw_.resize(run * w);
      if (!src_.read(off, raw_.data(), raw_.size())) return read_error(src_, off);
      decode_plain(g_.dtype, raw_.data(), run, out);
      out += run, n -= run, pos_ += run;
    }
    return true;
  }

  Result<bool> read_tiled(size_t n, float* out) {
    const uint64_t block_cols = block_tiles_ * kTile;
    while (n > 0) {
      const Pos p = at(pos_);
      const uint64_t tr = p.r / kTile, b = p.c / block_cols;
      if (int64_t(p.s) != ls_ || int64_t(tr) != ltr_ || int64_t(b) != lb_) {
        auto ok = load(p.s, tr, b);
        if (!ok) return ok;
      }
      const uint64_t block_end = std::min<uint64_t>((b + 1) * block_cols, g_.cols);
      const size_t run = size_t(std::min<uint64_t>(n, block_end - p.c));
      const float* row = vals_.data() + (p.r % kTile) * stride_ + (p.c - b * block_cols);
      std::copy(row, row + run, out);
      out += run, n -= run, pos_ += run;
    }
    return true;
  }

  // Decodes tiles [b * k, ...) of tile row tr of slice s.
  Result<bool> load(uint64_t s, uint64_t tr, uint64_t b) {
    const uint64_t per_row = g_.tiles_per_row(), t0 = b * block_tiles_;
    const uint64_t nt = std::min<uint64_t>(block_tiles_, per_row - t0);
    const uint64_t tb = tile_bytes(g_.dtype);
    const uint64_t first_tile = s * g_.tiles_per_slice() + tr * per_row + t0;
    const uint64_t off = start_ + first_tile * tb;
    raw_.resize(size_t(nt * tb));
    if (!src_.read(off, raw_.data(), raw_.size())) return read_error(src_, off);
    stride_ = size_t(nt * kTile);
    vals_.resize(kTile * stride_);
    for (uint64_t t = 0; t < nt; ++t) decode_tile(g_.dtype, raw_.data() + t * tb, vals_.data() + t * kTile, stride_);
    ls_ = int64_t(s), ltr_ = int64_t(tr), lb_ = int64_t(b);
    // A wide tile row is loaded again for each of its rows: check each block once.
    if (scan_ && (int64_t(s) != cs_ || int64_t(tr) != ctr_ || int64_t(b) > cb_)) {
      if (int64_t(s) != cs_ || int64_t(tr) != ctr_) cb_ = -1;
      cs_ = int64_t(s), ctr_ = int64_t(tr), cb_ = int64_t(b);
      check(s, tr, t0, nt);
    }
    return true;
  }

  // Shared exponents of 255 and non-zero padding in the block just decoded.
  void check(uint64_t s, uint64_t tr, uint64_t t0, uint64_t nt) {
    const uint64_t tb = tile_bytes(g_.dtype);
    if (is_block_float(g_.dtype)) {
      for (uint64_t t = 0; t < nt; ++t)
        for (uint64_t i = 0; i < 64; ++i)
          if (raw_[t * tb + i] == 0xFF) {
            if (scan_->bad_exponents++ == 0) {
              const uint64_t tile = s * g_.tiles_per_slice() + tr * g_.tiles_per_row() + t0 + t;
              scan_->first_exponent = start_ + tile * tb + i;
            }
          }
    }
    const uint64_t r0 = tr * kTile, c0 = t0 * kTile;
    const bool rows_pad = r0 + kTile > g_.rows, cols_pad = c0 + nt * kTile > g_.cols;
    if (!rows_pad && !cols_pad) return;
    for (uint64_t rr = 0; rr < kTile; ++rr) {
      const uint64_t r = r0 + rr;
      const uint64_t from = r >= g_.rows ? 0 : (g_.cols > c0 ? g_.cols - c0 : 0);
      for (uint64_t cc = from; cc < nt * kTile; ++cc) {
        if (vals_[rr * stride_ + cc] == 0.0f) continue;
        if (scan_->nonzero_padding++ == 0) scan_->first_padding = start_ + g_.byte_of(s, r, c0 + cc);
      }
    }
  }

  const ByteSource& src_;
  uint64_t start_;
  const ShardGeometry& g_;
  ScanFinds* scan_;
  uint64_t pos_ = 0;
  size_t run_cap_ = 0;
  uint64_t block_tiles_ = 1;
  int64_t ls_ = -1, ltr_ = -1, lb_ = -1;  // the block in vals_
  int64_t cs_ = -1, ctr_ = -1, cb_ = -1;  // the last block checked
  size_t stride_ = 0;
  std::vector<uint8_t> raw_;
  std::vector<float> vals_;
};

uint64_t product(const std::vector<uint64_t>& v) {
  uint64_t p = 1;
  for (uint64_t x : v) p *= x;
  return p;
}

}  // namespace

ShardGrid build_grid(const TensorbinHeader& h, const std::string& subject, std::vector<Finding>& findings) {
  ShardGrid g;
  const std::vector<uint64_t> S = h.geometry ? h.geometry->shape : h.shape;
  const size_t R = S.size();
  g.full_shape = S;
  g.blocks.assign(R, 1);
  auto note = [&](Severity sev, std::string m, uint64_t off) {
    findings.push_back({"tensorbin.shards", sev, subject + ": " + m, off, subject});
  };
  auto single = [&](size_t i, std::string how) {
    g.full_shape = S;
    g.blocks.assign(R, 1);
    g.shard_at = {i};
    g.complete = i < h.shards.size() && h.shards[i].has_buffer;
    g.how = std::move(how);
    return g;
  };
  const size_t n = h.shards.size();
  if (n == 0) return single(ShardGrid::kNoShard, "no shard");
  if (n == 1) return single(0, "one shard");
  if (!h.has_topology || h.placements.empty()) {
    note(Severity::warning,
         fmt::format("{} shard records but no tensor topology: shard 0 is read as the tensor, the others taken as "
                     "replicas",
                     n),
         h.shards[0].record_offset);
    return single(0, fmt::format("{} shards without topology (shard 0 read)", n));
  }
  const auto& dist = h.distribution_shape;
  CheckedU64 devices = 1;
  for (uint32_t d : dist) devices *= d;
  if (dist.size() != h.placements.size() || !devices.ok() || devices.value() != h.topology_coords.size()) {
    note(Severity::error,
         fmt::format("the topology is inconsistent: distribution shape {} with {} placements and {} coordinates; "
                     "shard 0 read alone",
                     dist, h.placements.size(), h.topology_coords.size()),
         h.shards[0].record_offset);
    return single(0, "inconsistent topology (shard 0 read)");
  }
  // Which tensor dim each distribution dim splits.
  std::vector<int> split_of(dist.size(), -1);
  std::vector<std::string> parts;
  for (size_t m = 0; m < dist.size(); ++m) {
    if (h.placements[m].type == 0) continue;
    int64_t d = h.placements[m].tensor_dim;
    if (d < 0) d += int64_t(R);
    if (h.placements[m].type != 1 || d < 0 || d >= int64_t(R) || g.blocks[size_t(d)] != 1) {
      note(Severity::error,
           fmt::format("placement {} (type {}, tensor dim {}) cannot be read (unknown type, dim out of range, or "
                       "a dim split twice); shard 0 read alone",
                       m, h.placements[m].type, h.placements[m].tensor_dim),
           h.shards[0].record_offset);
      return single(0, "unreadable placement (shard 0 read)");
    }
    split_of[m] = int(d);
    g.blocks[size_t(d)] = dist[m];
    parts.push_back(fmt::format("dim {} over {}", d, dist[m]));
  }
  const uint64_t nblocks = product(g.blocks);  // <= devices, which is capped by the coordinates
  g.shard_at.assign(size_t(nblocks), ShardGrid::kNoShard);
  for (size_t i = 0; i < n; ++i) {
    const TensorbinShard& s = h.shards[i];
    const auto it = std::find(h.topology_coords.begin(), h.topology_coords.end(), s.coord);
    if (it == h.topology_coords.end()) {
      note(Severity::error,
           fmt::format("shard {} is at mesh coordinate {}, which the topology does not list", i, s.coord),
           s.record_offset);
      continue;
    }
    uint64_t j = uint64_t(it - h.topology_coords.begin());
    std::vector<uint64_t> dc(dist.size());
    for (size_t m = dist.size(); m-- > 0;) dc[m] = j % dist[m], j /= dist[m];
    bool representative = true;
    uint64_t flat = 0;
    std::vector<uint64_t> b(R, 0);
    for (size_t m = 0; m < dist.size(); ++m) {
      if (split_of[m] < 0)
        representative = representative && dc[m] == 0;
      else
        b[size_t(split_of[m])] = dc[m];
    }
    if (!representative) continue;  // a replica of a shard read elsewhere
    for (size_t d = 0; d < R; ++d) flat = flat * g.blocks[d] + b[d];
    if (g.shard_at[flat] != ShardGrid::kNoShard) {
      note(Severity::error,
           fmt::format("shard {} repeats the place of shard {} (mesh coordinate {})", i, g.shard_at[flat], s.coord),
           s.record_offset);
      continue;
    }
    if (s.has_buffer) g.shard_at[flat] = i;
  }
  // Pieces of one tensor hold distinct bytes (only replicas share theirs): pieces that
  // overlap would make a small file stream as a huge tensor.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (size_t s : g.shard_at)
    if (s != ShardGrid::kNoShard) ranges.push_back({h.shards[s].offset, h.shards[s].size});
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first - ranges[i - 1].first < ranges[i - 1].second) {
      note(Severity::error,
           fmt::format("two pieces of the tensor share bytes {}..{} of the data region; shard 0 read alone",
                       ranges[i].first, ranges[i - 1].first + ranges[i - 1].second),
           h.shards[0].record_offset);
      return single(0, "overlapping shards (shard 0 read)");
    }
  g.complete = std::none_of(g.shard_at.begin(), g.shard_at.end(), [](size_t x) { return x == ShardGrid::kNoShard; });
  for (size_t d = 0; d < R; ++d) g.full_shape[d] = S[d] * g.blocks[d];
  const size_t missing = size_t(std::count(g.shard_at.begin(), g.shard_at.end(), ShardGrid::kNoShard));
  if (missing)
    note(Severity::warning,
         fmt::format("{} of the {} pieces of the tensor have no shard in this file (a file written for one host "
                     "holds only its own): the tensor is incomplete",
                     missing, g.shard_at.size()),
         h.shards[0].record_offset);
  g.how = parts.empty() ? fmt::format("replicated on {} devices (one copy read)", devices.value())
                        : fmt::format("sharded on {} ({} shard records)", fmt::join(parts, ", "), n);
  return g;
}

Result<uint64_t> stream_tensorbin(const ByteSource& src, const TensorbinHeader& h, const ShardGrid& g,
                                  const F32Sink& sink, size_t chunk_elems, ScanFinds* scan, size_t budget) {
  if (!h.geometry || !g.complete)
    return Error{ErrorCode::stream_dtype, src.name() + ": the tensor cannot be decoded", {}};
  const ShardGeometry& sg = *h.geometry;
  const uint64_t total = product(g.full_shape);
  if (total == 0) return uint64_t(0);
  chunk_elems = size_t(std::min<uint64_t>(std::max<size_t>(chunk_elems, 1), total));
  std::vector<float> buf(chunk_elems);
  const size_t active = std::max<size_t>(1, std::min<size_t>(g.shard_at.size(), 64));
  std::vector<std::unique_ptr<ShardCursor>> cursors(g.shard_at.size());
  auto cursor = [&](size_t block) -> ShardCursor& {
    if (!cursors[block]) {
      const TensorbinShard& s = h.shards[g.shard_at[block]];
      cursors[block] = std::make_unique<ShardCursor>(src, h.data_start + s.offset, sg, budget / active, scan);
    }
    return *cursors[block];
  };
  uint64_t done = 0;
  size_t fill = 0;
  auto flush = [&]() -> bool {
    const bool more = sink(done, buf.data(), fill);
    done += fill;
    fill = 0;
    return more;
  };
  // Takes n elements of block `block` into the chunk buffer, flushing as it fills.
  auto take = [&](size_t block, uint64_t n) -> Result<bool> {
    while (n > 0) {
      const size_t k = size_t(std::min<uint64_t>(n, chunk_elems - fill));
      auto r = cursor(block).read(k, buf.data() + fill);
      if (!r) return r;
      fill += k, n -= k;
      if (fill == chunk_elems && !flush()) return false;
    }
    return true;
  };
  const size_t R = g.full_shape.size();
  if (g.shard_at.size() == 1) {
    auto r = take(0, total);
    if (!r) return r.error();
    if (!*r) return done;
  } else {
    // Row by row of the full tensor: each row is one row piece from each block along the
    // last dim; every shard's rows come up in its own order, so its cursor only goes forward.
    const uint64_t cols = sg.shape[R - 1], k_last = g.blocks[R - 1];
    const uint64_t rows = total / std::max<uint64_t>(cols * k_last, 1);
    std::vector<uint64_t> idx(R - 1, 0);  // the row's index over the leading dims
    for (uint64_t q = 0; q < rows; ++q) {
      uint64_t base = 0;
      for (size_t d = 0; d + 1 < R; ++d) base = base * g.blocks[d] + idx[d] / sg.shape[d];
      base *= k_last;
      for (uint64_t j = 0; j < k_last; ++j) {
        auto r = take(size_t(base + j), cols);
        if (!r) return r.error();
        if (!*r) return done;
      }
      for (size_t d = R - 1; d-- > 0;) {
        if (++idx[d] < g.full_shape[d]) break;
        idx[d] = 0;
      }
    }
  }
  if (fill > 0) flush();
  return done;
}

std::optional<uint64_t> tensorbin_element_byte(const TensorbinHeader& h, const ShardGrid& g, uint64_t flat) {
  if (!h.geometry) return std::nullopt;
  const ShardGeometry& sg = *h.geometry;
  const size_t R = g.full_shape.size();
  if (flat >= product(g.full_shape)) return std::nullopt;
  std::vector<uint64_t> local(R);
  uint64_t block = 0, rest = flat;
  std::vector<uint64_t> full(R);
  for (size_t d = R; d-- > 0;) full[d] = rest % g.full_shape[d], rest /= g.full_shape[d];
  for (size_t d = 0; d < R; ++d) {
    block = block * g.blocks[d] + full[d] / sg.shape[d];
    local[d] = full[d] % sg.shape[d];
  }
  if (block >= g.shard_at.size() || g.shard_at[block] == ShardGrid::kNoShard) return std::nullopt;
  uint64_t lflat = 0;
  for (size_t d = 0; d < R; ++d) lflat = lflat * sg.shape[d] + local[d];
  const uint64_t per_slice = sg.rows * sg.cols;
  const uint64_t s = lflat / per_slice, r = lflat % per_slice / sg.cols, c = lflat % sg.cols;
  return h.data_start + h.shards[g.shard_at[block]].offset + sg.byte_of(s, r, c);
}

}  // namespace ckpt::ttml
