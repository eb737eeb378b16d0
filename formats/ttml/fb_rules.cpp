// The rules of the findings the tt-train flatbuffer readers report (flatbuffer.*,
// tensorbin.*, ttckpt.*) and the tar reader's (tar.*): the validate catalogue lists them
// (FormatFamily::rules). Scopes are format tags: "tensorbin" covers every flatbuffer
// format (the folder, its metadata file, a .tensorbin, a tar), "tar" the tar alone,
// "ttpickle" the Python pickle checkpoints (ttpickle.*, pickle_ckpt.cpp; the unpickler's
// own pickle.* and security.* findings are the torch family's rules).
#include "fb_rules.hpp"

namespace ckpt::ttml {

namespace {

const FamilyRule kRules[] = {
    {"flatbuffer.verify", Severity::error, "tensorbin", false,
     "metadata.flatbuffer and every .tensorbin header pass the flatbuffers Verifier; the finding names the first "
     "byte that breaks one of its checks",
     "tt-train and ttnn read them with generated accessors that trust every offset: a bad one crashes the loader "
     "or reads garbage"},
    {"tensorbin.header", Severity::error, "tensorbin", false,
     "a .tensorbin's u64 header size fits the file, is a multiple of 8, and at most 64 MiB; schema_version is at "
     "most 1 (warning)",
     "ttnn finds the flatbuffer and the data region from that number alone"},
    {"tensorbin.spec", Severity::error, "tensorbin", false,
     "the tensor spec can be decoded: data type 0..7, row-major or 32x32 tiles (not transposed), block floats only "
     "in tiles, at most 8 dims, sizes within 64 bits",
     "without it no element can be placed"},
    {"tensorbin.shards", Severity::error, "tensorbin", false,
     "every shard record has a buffer, and the mesh coordinates with the topology make one whole tensor (warning "
     "when the file holds only some pieces)",
     "multi-device files are put together from these records; a gap or a repeat misplaces whole blocks"},
    {"tensorbin.data_length", Severity::error, "tensorbin", false,
     "every shard has exactly the bytes its spec needs (padded shape x element size, or tiles x tile size)",
     "a writer that tilized the data but labelled it ROW_MAJOR (or the reverse) leaves the other layout's length, "
     "which the message names; any other mismatch misreads every element"},
    {"tensorbin.truncated", Severity::error, "tensorbin", false, "every shard's bytes lie inside the file",
     "a cut copy: the tensor cannot be loaded"},
    {"tensorbin.tile_padding", Severity::warning, "tensorbin", true,
     "the padding of tiled tensors (rows and columns beyond the logical shape) is zero",
     "ttnn never reads it, but non-zero padding came from a device buffer that was not cleared; code that keeps "
     "padded shapes (a [1, 1, 1, n] gamma is stored as 32 rows) leaks it into results"},
    {"tensorbin.bfp_exponent", Severity::error, "tensorbin", true, "no block-float shared exponent is 255",
     "255 is fp32's Inf/NaN exponent: the face row decodes to Inf or NaN; tt-metal's packer writes it only when "
     "given non-finite values"},
    {"ttckpt.missing_file", Severity::error, "tensorbin", false,
     "every .tensorbin the metadata names is in the folder (or the archive)",
     "tt-train's loader stops at the first tensor it cannot open"},
    {"ttckpt.orphan_file", Severity::warning, "tensorbin", false,
     "every .tensorbin in the folder (or the archive) is named by a metadata key",
     "a file no key names is never loaded: a leftover of another save, or a key lost from the metadata"},
    {"ttckpt.file_collision", Severity::error, "tensorbin", false, "no two metadata keys name the same tensor file",
     "tt-train replaces '/' by '_' in file names, so a/b_c and a_b/c share one file: one tensor overwrote the "
     "other"},
    {"ttckpt.file_name", Severity::error, "tensorbin", false,
     "the metadata names tensor files inside the checkpoint (no absolute path, no '..', no backslash)",
     "a hostile metadata file must not send a reader to files elsewhere"},
    {"ttckpt.spec_mismatch", Severity::error, "tensorbin", false,
     "the shape, data_type and layout the metadata stores beside a tensor agree with its .tensorbin header",
     "tt-train writes both from one tensor: a disagreement means one of the files was replaced or edited"},
    {"ttckpt.duplicate_key", Severity::warning, "tensorbin", false, "no metadata key appears twice",
     "tt-train's deserialize keeps the last value; the earlier one is silently ignored"},
    {"ttckpt.value_type", Severity::error, "tensorbin", false,
     "every metadata value has a union type its schema defines",
     "an unknown type (the PR branch's TensorValue = 18) cannot be read by tt-train"},
    {"ttckpt.too_many_pairs", Severity::error, "tensorbin", false, "the metadata has at most 2^20 pairs",
     "the reader stops there so that memory cannot follow a hostile file's counts"},
    {"ttckpt.metadata_size", Severity::error, "tensorbin", false, "the metadata file is at most 64 MiB",
     "it is read whole to be verified: real ones are kilobytes"},
    {"ttckpt.too_many_files", Severity::error, "tensorbin", false, "the checkpoint folder has at most 65536 files",
     "the listing stops there; files after it are reported missing"},
    {"tar.checksum", Severity::error, "tar", false, "every member header's checksum adds up",
     "tar refuses the archive there: the header (name, size) cannot be trusted"},
    {"tar.size", Severity::error, "tar", false,
     "every member's size field is an octal number and its data lies inside the archive",
     "a size that lies shifts every later header or cuts the member short"},
    {"tar.truncated", Severity::error, "tar", false, "the archive does not end inside a member header",
     "a cut copy: the members after it are missing"},
    {"tar.too_many_members", Severity::error, "tar", false, "the archive has at most 2^20 members",
     "the index stops there so that memory cannot follow a hostile archive"},
    {"ttpickle.header", Severity::error, "ttpickle", false,
     "checkpointing.py's record 0 is {\"format\": 1, \"header\": dict, \"manifest\": dict} (a manifest nested at "
     "most 32 deep); train_nanogpt.py's pickle is a dict holding a model_state dict",
     "ttml's load_checkpoint refuses another format version; without the manifest no record can be named"},
    {"ttpickle.record", Severity::error, "ttpickle", false,
     "every tensor is a numpy array pickle (numpy.core.multiarray._reconstruct, BUILD (1, shape, dtype, False, "
     "bytes); or protocol 5's numpy.core.numeric._frombuffer(buffer, dtype, shape, order)), C order, at most 8 "
     "dimensions; a model_state entry's \"shape\" is its array's",
     "anything else is not what tt-train's to_numpy wrote: the record cannot be placed as a tensor"},
    {"ttpickle.dtype", Severity::error, "ttpickle", false,
     "arrays are little-endian floats (float32 and ml_dtypes.bfloat16, as tt-train writes; float16 and float64 are "
     "read too) and of the dtype the manifest declares",
     "checkpointing.py saves FLOAT32 and BFLOAT16 only and restores the manifest's dtype: another one is a "
     "mismatched or edited record"},
    {"ttpickle.data_length", Severity::error, "ttpickle", false,
     "an array's bytes are exactly its shape x element size", "numpy refuses to rebuild such an array"},
    {"ttpickle.missing_record", Severity::error, "ttpickle", false,
     "the stream holds one complete array record per tensor the manifest declares",
     "a cut copy: load_checkpoint fails at the first missing record"},
    {"ttpickle.trailing", Severity::warning, "ttpickle", false,
     "nothing follows the last record (checkpointing.py) or the pickle's STOP (train_nanogpt.py)",
     "the loader never reads those bytes: a botched write or two saves concatenated"},
    {"ttpickle.too_many_records", Severity::error, "ttpickle", false,
     "a pickle checkpoint declares at most 2^20 tensors",
     "the reader stops there so that memory cannot follow a hostile manifest"},
};

}  // namespace

std::span<const FamilyRule> flatbuffer_rules() { return kRules; }

}  // namespace ckpt::ttml
