#pragma once
// Every error code and finding rule id of the safetensors reader, with its meaning.
// The checks follow the reference implementation (safetensors/src/tensor.rs:
// SafeTensors::read_metadata and Metadata::validate) one for one, plus what it leaves
// unchecked (duplicate names, UTF-8 reported as such, trailing bytes as a finding).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ckpt/finding.hpp"

namespace ckpt::safetensors {

struct RuleDef {
  std::string_view id;
  Severity severity;
  std::string_view meaning;
};

inline Finding make_finding(const RuleDef& r, std::string message, std::optional<uint64_t> offset = {},
                            std::string subject = {}) {
  return Finding{std::string(r.id), r.severity, std::move(message), offset, std::move(subject)};
}

namespace errc {
inline constexpr std::string_view too_small = "safetensors.too_small";  // fewer than 8 bytes: no header length
inline constexpr std::string_view header_too_large =
    "safetensors.header_too_large";  // header length above 100,000,000 (the reference's MAX_HEADER_SIZE)
inline constexpr std::string_view header_length =
    "safetensors.header_length";                                            // header length past the end of the file
inline constexpr std::string_view header_utf8 = "safetensors.header_utf8";  // the header is not valid UTF-8
inline constexpr std::string_view header_json = "safetensors.header_json";  // the header is no JSON object
}  // namespace errc

namespace rules {
inline constexpr RuleDef header_start{"safetensors.header_start", Severity::error,
                                      "the header does not start with '{' (the reference refuses it since 0.4)"};
inline constexpr RuleDef metadata_not_strings{"safetensors.metadata_not_strings", Severity::error,
                                              "__metadata__ is not an object of string values"};
inline constexpr RuleDef bad_entry{
    "safetensors.bad_entry", Severity::error,
    "a tensor entry without dtype (string), shape (array of non-negative integers) or data_offsets ([begin, end])"};
inline constexpr RuleDef unknown_dtype{"safetensors.unknown_dtype", Severity::error,
                                       "a dtype the format does not define"};
inline constexpr RuleDef duplicate_name{"safetensors.duplicate_name", Severity::error,
                                        "two entries of the same name: JSON parsers disagree on which one counts"};
inline constexpr RuleDef invalid_offset{
    "safetensors.invalid_offset", Severity::error,
    "entries sorted by offset do not follow each other: a gap, an overlap, or end < begin (reference: InvalidOffset)"};
inline constexpr RuleDef size_overflow{"safetensors.size_overflow", Severity::error,
                                       "shape x element size overflows 64 bits (reference: ValidationOverflow)"};
inline constexpr RuleDef misaligned{
    "safetensors.misaligned", Severity::error,
    "a sub-byte dtype whose element count does not fill whole bytes (reference: MisalignedSlice)"};
inline constexpr RuleDef size_mismatch{"safetensors.size_mismatch", Severity::error,
                                       "end - begin differs from shape x element size (reference: TensorInvalidInfo)"};
inline constexpr RuleDef data_past_eof{
    "safetensors.data_past_eof", Severity::error,
    "the tensors' data reaches past the end of the file (reference: MetadataIncompleteBuffer)"};
inline constexpr RuleDef trailing_bytes{"safetensors.trailing_bytes", Severity::warning,
                                        "bytes after the last tensor's data (reference: MetadataIncompleteBuffer)"};
inline constexpr RuleDef limit_tensors{"safetensors.limit_tensors", Severity::error,
                                       "more entries than SafetensorsLimits::max_tensors; the rest are not listed"};
inline constexpr RuleDef limit_rank{"safetensors.limit_rank", Severity::error,
                                    "a shape of more dimensions than SafetensorsLimits::max_rank"};
}  // namespace rules

inline constexpr std::array<const RuleDef*, 13> kRuleCatalogue = {
    &rules::header_start,   &rules::metadata_not_strings, &rules::bad_entry,      &rules::unknown_dtype,
    &rules::duplicate_name, &rules::invalid_offset,       &rules::size_overflow,  &rules::misaligned,
    &rules::size_mismatch,  &rules::data_past_eof,        &rules::trailing_bytes, &rules::limit_tensors,
    &rules::limit_rank,
};

}  // namespace ckpt::safetensors
