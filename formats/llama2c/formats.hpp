#pragma once
// The formats of the llama2.c family (FORMATS.md): the legacy v0 layout, the ak42 v1 and
// v2 layouts (fp32 and Q8_0), and tokenizer.bin. Their rule scopes say which validate
// rules cover them.
#include <string_view>

#include "ckpt/format.hpp"

namespace ckpt::llama2c {

inline constexpr std::string_view kV0Tags[] = {"checkpoint", "v0", "scan", "mapped", "weights"};
inline constexpr std::string_view kAk42Fp32Tags[] = {"checkpoint", "ak42", "scan", "mapped", "weights"};
inline constexpr std::string_view kAk42Q8Tags[] = {"checkpoint", "ak42", "q8", "scan", "mapped", "weights"};
inline constexpr std::string_view kAk42V2Tags[] = {"checkpoint", "ak42", "q8", "v2", "scan", "mapped", "weights"};
inline constexpr std::string_view kTokenizerTags[] = {"tokenizer"};

inline constexpr FormatInfo kV0Info{"llama2c-v0", "llama2c", "llama2.c legacy checkpoint: 7-int header, fp32", kV0Tags};
inline constexpr FormatInfo kAk42V1Fp32Info{"ak42-v1-fp32", "llama2c", "llama2.c ak42 version 1, fp32", kAk42Fp32Tags};
inline constexpr FormatInfo kAk42V1Q8Info{
    "ak42-v1-q8_0", "llama2c", "llama2.c ak42 version 1 Q8_0 draft (all int8, then all scales)", kAk42Q8Tags};
inline constexpr FormatInfo kAk42V2Q8Info{
    "ak42-v2-q8_0", "llama2c", "llama2.c ak42 version 2, Q8_0, scales after each tensor (runq.c)", kAk42V2Tags};
inline constexpr FormatInfo kAk42V2Q8LastInfo{"ak42-v2-q8_0-scales-last", "llama2c",
                                              "llama2.c ak42 version 2, Q8_0, all scales last (Aug-Oct 2023)",
                                              kAk42V2Tags};
inline constexpr FormatInfo kTokenizerInfo{"llama2c-tokenizer", "llama2c", "llama2.c tokenizer.bin", kTokenizerTags};

inline constexpr Format v0{kV0Info};
inline constexpr Format ak42_v1_fp32{kAk42V1Fp32Info};
inline constexpr Format ak42_v1_q8_0{kAk42V1Q8Info};
inline constexpr Format ak42_v2_q8_0{kAk42V2Q8Info};
inline constexpr Format ak42_v2_q8_0_scales_last{kAk42V2Q8LastInfo};
inline constexpr Format tokenizer{kTokenizerInfo};

// The checkpoint layouts in documentation order (the tokenizer is not one).
inline constexpr Format kCheckpointFormats[] = {v0, ak42_v1_fp32, ak42_v1_q8_0, ak42_v2_q8_0, ak42_v2_q8_0_scales_last};

constexpr bool is_ak42(Format f) {
  return f == ak42_v1_fp32 || f == ak42_v1_q8_0 || f == ak42_v2_q8_0 || f == ak42_v2_q8_0_scales_last;
}
constexpr bool is_checkpoint(Format f) { return f == v0 || is_ak42(f); }
constexpr bool is_q8(Format f) { return f == ak42_v1_q8_0 || f == ak42_v2_q8_0 || f == ak42_v2_q8_0_scales_last; }
constexpr bool is_v2(Format f) { return f == ak42_v2_q8_0 || f == ak42_v2_q8_0_scales_last; }
// Q8_0 layouts that put all int8 data first and all scales after it.
constexpr bool has_scales_last(Format f) { return f == ak42_v1_q8_0 || f == ak42_v2_q8_0_scales_last; }

}  // namespace ckpt::llama2c
