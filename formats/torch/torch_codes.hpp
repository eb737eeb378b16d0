#pragma once
// Every error code and finding rule id of the torch readers (zip container, restricted
// unpickler, torch interpretation, legacy format) in one place, so that they can become
// an enum later without a hunt through the sources. Each constant carries its severity
// and its meaning: this table is the documentation.
//
// Error codes (Error::code) end a read: nothing sensible can follow. Findings are
// collected and reading goes on where it can.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ckpt/finding.hpp"

namespace ckpt::torch {

struct RuleDef {
  std::string_view id;
  Severity severity;
  std::string_view meaning;
};

// Builds a finding of rule r; the severity comes from the table.
inline Finding make_finding(const RuleDef& r, std::string message, std::optional<uint64_t> offset = {},
                            std::string subject = {}) {
  return Finding{std::string(r.id), r.severity, std::move(message), offset, std::move(subject)};
}

namespace errc {
// | code                     | meaning                                                          |
inline constexpr std::string_view pickle_range = "pickle.range";  // [offset, offset+limit) not inside the source
inline constexpr std::string_view zip_no_eocd =
    "zip.no_eocd";  // no end-of-central-directory record in the last 65557 bytes
inline constexpr std::string_view zip_cd_out_of_bounds =
    "zip.cd_out_of_bounds";  // the central directory lies outside the file
inline constexpr std::string_view zip_too_many_entries =
    "zip.too_many_entries";                                 // more entries than ZipLimits::max_entries
inline constexpr std::string_view zip_zip64 = "zip.zip64";  // a ZIP64 locator that points at no ZIP64 record
inline constexpr std::string_view zip_member_range = "zip.member_range";  // a member's data is not inside the file
inline constexpr std::string_view zip_unsupported_method =
    "zip.unsupported_method";  // a member neither stored nor deflated
inline constexpr std::string_view torch_no_data_pkl =
    "torch.no_data_pkl";  // a zip without exactly one <prefix>/data.pkl
inline constexpr std::string_view torch_not_legacy =
    "torch.not_legacy";  // the file does not start with the legacy magic pickle
inline constexpr std::string_view torch_pickle = "torch.pickle";  // a pickle the checkpoint needs ended without STOP
inline constexpr std::string_view decode_dtype = "decode.dtype";  // no fp32 conversion for this element type
inline constexpr std::string_view decode_range = "decode.range";  // an element range outside the source or storage
}  // namespace errc

namespace rules {
// ---- restricted unpickler -------------------------------------------------------------
inline constexpr RuleDef pickle_truncated{
    "pickle.truncated", Severity::error,
    "the pickle ends (end of input or of its window) before STOP or inside an opcode's argument"};
inline constexpr RuleDef pickle_bad_opcode{"pickle.bad_opcode", Severity::error,
                                           "a byte that is no opcode of pickle protocols 0 to 5"};
inline constexpr RuleDef pickle_stack_underflow{
    "pickle.stack_underflow", Severity::error,
    "an opcode needs more stack items than there are above the innermost MARK"};
inline constexpr RuleDef pickle_mark_missing{"pickle.mark_missing", Severity::error,
                                             "an opcode pops to a MARK but no MARK is open"};
inline constexpr RuleDef pickle_memo_missing{"pickle.memo_missing", Severity::error,
                                             "GET of a memo slot that was never PUT"};
inline constexpr RuleDef pickle_bad_argument{
    "pickle.bad_argument", Severity::error,
    "a malformed opcode argument: text that is no number, an unquoted STRING, a bad escape, a negative length"};
inline constexpr RuleDef pickle_bad_operand{
    "pickle.bad_operand", Severity::error,
    "an opcode applied to an object of the wrong kind (SETITEMS on a list, an odd SETITEMS run, ...)"};
inline constexpr RuleDef pickle_bad_utf8{"pickle.bad_utf8", Severity::error,
                                         "a BINUNICODE string that is not valid UTF-8 (Python refuses it)"};
inline constexpr RuleDef pickle_big_int{"pickle.big_int", Severity::info, "an integer beyond int64, kept as its bytes"};
inline constexpr RuleDef pickle_protocol{"pickle.protocol", Severity::warning, "PROTO names a protocol above 5"};
inline constexpr RuleDef pickle_out_of_band{
    "pickle.out_of_band", Severity::error,
    "NEXT_BUFFER/READONLY_BUFFER: the pickle needs out-of-band buffers that a file cannot supply"};
inline constexpr RuleDef pickle_leftover_stack{"pickle.leftover_stack", Severity::warning,
                                               "STOP with more than the result on the stack, or with MARKs still open"};
inline constexpr RuleDef pickle_limit_bytes{"pickle.limit_bytes", Severity::error,
                                            "the pickle is longer than PickleLimits::max_bytes"};
inline constexpr RuleDef pickle_limit_opcodes{"pickle.limit_opcodes", Severity::error,
                                              "more opcodes than PickleLimits::max_opcodes"};
inline constexpr RuleDef pickle_limit_objects{"pickle.limit_objects", Severity::error,
                                              "more objects than PickleLimits::max_objects"};
inline constexpr RuleDef pickle_limit_memo{"pickle.limit_memo", Severity::error,
                                           "a memo index at or above PickleLimits::max_memo"};
inline constexpr RuleDef pickle_limit_stack{"pickle.limit_stack", Severity::error,
                                            "the stack grows beyond PickleLimits::max_stack"};
inline constexpr RuleDef pickle_limit_nesting{"pickle.limit_nesting", Severity::error,
                                              "more MARKs open at once than PickleLimits::max_nesting"};
inline constexpr RuleDef pickle_limit_container{"pickle.limit_container", Severity::error,
                                                "a container would hold more than PickleLimits::max_container items"};
inline constexpr RuleDef pickle_limit_string{"pickle.limit_string", Severity::error,
                                             "a string, bytes or text line longer than PickleLimits::max_string"};
// ---- security: what a real unpickler would import and call -----------------------------
inline constexpr RuleDef security_dangerous_global{
    "security.dangerous_global", Severity::error,
    "the pickle imports a callable that runs code, touches files, processes or the network when loaded"};
inline constexpr RuleDef security_unknown_global{
    "security.unknown_global", Severity::warning,
    "the pickle imports something on neither list (loading it runs that module's code)"};
inline constexpr RuleDef security_dynamic_global{
    "security.dynamic_global", Severity::error,
    "STACK_GLOBAL whose module or name is no literal string: what it imports is decided at load time"};
// ---- torch interpretation -------------------------------------------------------------
inline constexpr RuleDef torch_bad_tensor{
    "torch.bad_tensor", Severity::error,
    "a tensor rebuild call whose arguments are not (storage, offset, size, stride, ...)"};
inline constexpr RuleDef torch_bad_persistent_id{
    "torch.bad_persistent_id", Severity::error,
    "a persistent id that is not ('storage', storage_type, key, location, numel[, view])"};
inline constexpr RuleDef torch_unknown_storage_type{
    "torch.unknown_storage_type", Severity::warning,
    "a storage class or dtype the reader does not know: its element size is unknown"};
inline constexpr RuleDef torch_unknown_rebuild{
    "torch.unknown_rebuild", Severity::warning,
    "a torch rebuild function this reader does not interpret (quantized, sparse, nested, subclass)"};
inline constexpr RuleDef torch_shape_overflow{"torch.shape_overflow", Severity::error,
                                              "size x stride products of a tensor overflow 64 bits"};
inline constexpr RuleDef torch_storage_past_end{"torch.storage_past_end", Severity::error,
                                                "a tensor's elements reach past the end of its storage"};
inline constexpr RuleDef torch_storage_dtype_conflict{"torch.storage_dtype_conflict", Severity::error,
                                                      "one storage key referenced with different dtypes"};
inline constexpr RuleDef torch_storage_numel_conflict{"torch.storage_numel_conflict", Severity::error,
                                                      "one storage key referenced with different element counts"};
inline constexpr RuleDef torch_missing_storage{"torch.missing_storage", Severity::error,
                                               "a storage key without data (no data/<key> member, no legacy record)"};
inline constexpr RuleDef torch_storage_size_mismatch{"torch.storage_size_mismatch", Severity::error,
                                                     "a storage's data is not numel x element size bytes"};
inline constexpr RuleDef torch_unused_storage{"torch.unused_storage", Severity::warning,
                                              "storage data that no tensor of the pickle references"};
inline constexpr RuleDef torch_big_endian{
    "torch.big_endian", Severity::error,
    "the archive's byteorder record says big-endian; values would be byte-swapped"};
inline constexpr RuleDef torch_tree_too_deep{
    "torch.tree_too_deep", Severity::warning,
    "containers nested deeper than the walk's cap: tensors below it are not listed"};
inline constexpr RuleDef torch_legacy_header{
    "torch.legacy_header", Severity::error,
    "the legacy protocol version is not 1001 or sys_info is not the expected dict"};
inline constexpr RuleDef torch_legacy_keys{"torch.legacy_keys", Severity::error,
                                           "the legacy storage-key pickle is not a list of strings"};
inline constexpr RuleDef torch_legacy_truncated{
    "torch.legacy_truncated", Severity::error,
    "a legacy storage record (int64 numel + bytes) reaches past the end of the file"};
inline constexpr RuleDef torch_legacy_trailing{"torch.legacy_trailing", Severity::warning,
                                               "bytes after the last legacy storage record"};
// ---- zip container --------------------------------------------------------------------
inline constexpr RuleDef zip_eocd_comment{
    "zip.eocd_comment", Severity::warning,
    "the EOCD comment does not end exactly at the end of the file (bytes appended or cut)"};
inline constexpr RuleDef zip_multi_disk{"zip.multi_disk", Severity::error,
                                        "disk numbers other than 0: a split archive"};
inline constexpr RuleDef zip_entry_count{
    "zip.entry_count", Severity::error,
    "the entry counts of the EOCD disagree with each other or with the central directory"};
inline constexpr RuleDef zip_cd_size{"zip.cd_size", Severity::error,
                                     "the central directory's size field differs from the bytes its entries occupy"};
inline constexpr RuleDef zip_cd_signature{
    "zip.cd_signature", Severity::error,
    "a central directory entry without its PK\\1\\2 signature: the listing stops there"};
inline constexpr RuleDef zip_zip64_mismatch{"zip.zip64_mismatch", Severity::warning,
                                            "ZIP64 record values that contradict non-saturated EOCD values"};
inline constexpr RuleDef zip_extra_malformed{"zip.extra_malformed", Severity::error,
                                             "an extra field whose length runs past its extra block"};
inline constexpr RuleDef zip_zip64_extra_missing{
    "zip.zip64_extra_missing", Severity::error,
    "a size or offset of 0xFFFFFFFF without the ZIP64 extra field that holds it"};
inline constexpr RuleDef zip_name_too_long{"zip.name_too_long", Severity::error,
                                           "a member name longer than ZipLimits::max_name (kept truncated)"};
inline constexpr RuleDef zip_duplicate_name{"zip.duplicate_name", Severity::error,
                                            "two members with the same name: readers disagree on which one counts"};
inline constexpr RuleDef zip_local_signature{
    "zip.local_signature", Severity::error,
    "no local header (PK\\3\\4) where the central directory says a member starts"};
inline constexpr RuleDef zip_local_mismatch{
    "zip.local_mismatch", Severity::error,
    "a local header whose name, method, sizes or CRC differ from the central directory"};
inline constexpr RuleDef zip_data_descriptor_mismatch{
    "zip.data_descriptor_mismatch", Severity::error,
    "a data descriptor whose CRC or sizes differ from the central directory"};
inline constexpr RuleDef zip_member_past_eof{"zip.member_past_eof", Severity::error,
                                             "a member's header or data reaches past the end of the file"};
inline constexpr RuleDef zip_members_overlap{"zip.members_overlap", Severity::error,
                                             "two members' bytes overlap (a zip bomb trick or a lying directory)"};
inline constexpr RuleDef zip_member_overlaps_cd{"zip.member_overlaps_cd", Severity::error,
                                                "a member's bytes run into the central directory"};
inline constexpr RuleDef zip_encrypted{"zip.encrypted", Severity::error,
                                       "an encrypted member: its bytes cannot be read"};
inline constexpr RuleDef zip_unsupported_method{"zip.unsupported_method", Severity::error,
                                                "a compression method other than stored (0) and deflate (8)"};
inline constexpr RuleDef zip_stored_size{"zip.stored_size", Severity::error,
                                         "a stored member whose compressed and uncompressed sizes differ"};
inline constexpr RuleDef zip_crc_mismatch{"zip.crc_mismatch", Severity::error,
                                          "a member's CRC-32 differs from the central directory's"};
inline constexpr RuleDef zip_size_mismatch{
    "zip.size_mismatch", Severity::error, "a deflated member inflates to another size than the central directory says"};
inline constexpr RuleDef zip_inflate_error{"zip.inflate_error", Severity::error,
                                           "a deflated member's stream is corrupt"};
inline constexpr RuleDef zip_prefix_bytes{"zip.prefix_bytes", Severity::info,
                                          "bytes before the first member (a self-extractor stub or a prepended file)"};
}  // namespace rules

// The catalogue, for documentation and for tests that check every emitted id is listed.
inline constexpr std::array<const RuleDef*, 63> kRuleCatalogue = {
    &rules::pickle_truncated,
    &rules::pickle_bad_opcode,
    &rules::pickle_stack_underflow,
    &rules::pickle_mark_missing,
    &rules::pickle_memo_missing,
    &rules::pickle_bad_argument,
    &rules::pickle_bad_operand,
    &rules::pickle_bad_utf8,
    &rules::pickle_big_int,
    &rules::pickle_protocol,
    &rules::pickle_out_of_band,
    &rules::pickle_leftover_stack,
    &rules::pickle_limit_bytes,
    &rules::pickle_limit_opcodes,
    &rules::pickle_limit_objects,
    &rules::pickle_limit_memo,
    &rules::pickle_limit_stack,
    &rules::pickle_limit_nesting,
    &rules::pickle_limit_container,
    &rules::pickle_limit_string,
    &rules::security_dangerous_global,
    &rules::security_unknown_global,
    &rules::security_dynamic_global,
    &rules::torch_bad_tensor,
    &rules::torch_bad_persistent_id,
    &rules::torch_unknown_storage_type,
    &rules::torch_unknown_rebuild,
    &rules::torch_shape_overflow,
    &rules::torch_storage_past_end,
    &rules::torch_storage_dtype_conflict,
    &rules::torch_storage_numel_conflict,
    &rules::torch_missing_storage,
    &rules::torch_storage_size_mismatch,
    &rules::torch_unused_storage,
    &rules::torch_big_endian,
    &rules::torch_tree_too_deep,
    &rules::torch_legacy_header,
    &rules::torch_legacy_keys,
    &rules::torch_legacy_truncated,
    &rules::torch_legacy_trailing,
    &rules::zip_eocd_comment,
    &rules::zip_multi_disk,
    &rules::zip_entry_count,
    &rules::zip_cd_size,
    &rules::zip_cd_signature,
    &rules::zip_zip64_mismatch,
    &rules::zip_extra_malformed,
    &rules::zip_zip64_extra_missing,
    &rules::zip_name_too_long,
    &rules::zip_duplicate_name,
    &rules::zip_local_signature,
    &rules::zip_local_mismatch,
    &rules::zip_data_descriptor_mismatch,
    &rules::zip_member_past_eof,
    &rules::zip_members_overlap,
    &rules::zip_member_overlaps_cd,
    &rules::zip_encrypted,
    &rules::zip_unsupported_method,
    &rules::zip_stored_size,
    &rules::zip_crc_mismatch,
    &rules::zip_size_mismatch,
    &rules::zip_inflate_error,
    &rules::zip_prefix_bytes,
};

}  // namespace ckpt::torch
