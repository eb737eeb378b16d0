// The one table of diagnosis kinds: name and meaning of each (JSON prints the names).
#include <array>

#include "ckpt/diff_report.hpp"

namespace ckpt {

namespace {

using K = DiagnosisKind;
constexpr std::array kKinds{
    DiagnosisKindInfo{K::truncated, "truncated",
                      "a file ends inside the tensor, or one side holds only the first rows"},
    DiagnosisKindInfo{K::padded, "padded",
                      "extra zero rows of a vocabulary padded to a multiple of 32 (not a difference)"},
    DiagnosisKindInfo{K::zero_filled, "zero_filled", "every mismatching element is zero in one file"},
    DiagnosisKindInfo{K::sign_flipped, "sign_flipped", "B = -A"},
    DiagnosisKindInfo{K::scaled, "scaled", "B = factor * A"},
    DiagnosisKindInfo{K::rounded, "rounded", "one file holds the other's values rounded to bf16 or fp16"},
    DiagnosisKindInfo{K::quantized, "quantized",
                      "one file holds the other's values quantized to Q8_0 and dequantized, or both are Q8_0 of one "
                      "tensor with other groups"},
    DiagnosisKindInfo{K::transposed, "transposed", "B = A^T, under the shape (c, r) or under A's own (r, c)"},
    DiagnosisKindInfo{K::reshaped_transposed, "reshaped_transposed", "B = (A reshaped to (r, c))^T, flattened"},
    DiagnosisKindInfo{K::rotary_permutation, "rotary_permutation",
                      "wq/wk rows moved between the Hugging Face and the Meta rotary pairing within each head"},
    DiagnosisKindInfo{K::tilized, "tilized",
                      "B's data is A in tile order (tt-metal's 32x32 tiles of 16x16 faces, or T x T tiles), read as "
                      "row-major"},
    DiagnosisKindInfo{K::untilized, "untilized", "A's data is B in tile order: B is A's tiles read back row-major"},
    DiagnosisKindInfo{K::rows_permuted, "rows_permuted",
                      "B's rows are A's rows in another order (heads reordered, ...)"},
    DiagnosisKindInfo{K::columns_permuted, "columns_permuted", "B's columns are A's columns in another order"},
    DiagnosisKindInfo{K::permuted, "permuted", "the same values in another order (equal fingerprints)"},
    DiagnosisKindInfo{K::layers_shifted, "layers_shifted",
                      "B's tensor is A's tensor of the same kind in another layer"},
    DiagnosisKindInfo{K::swapped, "swapped", "B's tensor is another tensor of A of the same shape"},
    DiagnosisKindInfo{K::shared_classifier, "shared_classifier",
                      "output.weight in one file equals the embedding the other file shares (not a difference)"},
    DiagnosisKindInfo{K::untied_classifier, "untied_classifier",
                      "output.weight in one file differs from the embedding the other file shares"},
};

}  // namespace

std::span<const DiagnosisKindInfo> diagnosis_kinds() { return kKinds; }

std::string_view diagnosis_kind_name(DiagnosisKind k) {
  for (const auto& info : kKinds)
    if (info.kind == k) return info.name;
  return "unknown";
}

}  // namespace ckpt
