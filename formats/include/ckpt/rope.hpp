#pragma once
// The RoPE frequency tables of v0 files, computed in fp32 the way llama2.c's
// precompute_freqs_cis does: freq_j = 1 / 10000^((2j)/hs), table[p][j] = cos/sin(p*freq_j).
#include <cstdint>
#include <vector>

namespace ckpt {

constexpr float kRopeTheta = 10000.0f;

// Fills cos_out and sin_out with positions [first_pos, first_pos + n_pos) x (hs/2).
// table_pos: the rows of the whole table (seq_len), which decides PyTorch's last lane
// group; -1 when unknown (exact unless seq_len x hs/2 is not a multiple of 8).
void rope_tables(int64_t head_size, int64_t first_pos, int64_t n_pos, float* cos_out, float* sin_out,
                 int64_t table_pos = -1);

// The same over flat table elements [first, first + count) of a table of table_elems
// elements (-1: unknown).
void rope_range(int64_t head_size, int64_t first, int64_t count, int64_t table_elems, float* cos_out, float* sin_out);

// Whether the tables are PyTorch's bit for bit (SLEEF's AVX2 kernels, as export.py gets
// them on an x86 CPU with AVX2), rather than within 1 ulp.
bool rope_matches_pytorch();

// The value of one table element (is_sin selects the table), for validation and --at.
float rope_value(int64_t head_size, int64_t pos, int64_t j, bool is_sin);

}  // namespace ckpt
