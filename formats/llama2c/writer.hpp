#pragma once
// The llama2.c reference writer: lays out any llama2.c format from a config and fp32
// weights, producing the bytes llama2.c's export.py produces. The layout tables of
// layout.hpp decide every position, the same tables the reader uses.
#include <cstdint>
#include <vector>

#include "ckpt/byte_sink.hpp"
#include "ckpt/config.hpp"
#include "ckpt/weights.hpp"

namespace ckpt::llama2c {

// The header bytes of format f for config c (28 or 256 bytes), from the field table.
std::vector<uint8_t> header_bytes(Format f, const ModelConfig& c);

// Writes a complete file of format f. For Q8_0 formats c.group_size must be set. Fails
// with the layout's error, the source's error or the sink's error.
Result<WriteStats> write_llama2c(ByteSink& out, Format f, const ModelConfig& c, const WeightSource& w,
                                 int64_t max_layers = OpenLimits{}.max_layers);

}  // namespace ckpt::llama2c
