#pragma once
// tt-train's llama_export.py (tt-train/tools/weight-utils) in C++: it loads a Hugging Face
// Llama, reads a msgpack that tt-train dumped from a freshly initialised model (the
// "template"), replaces the value of every Llama parameter's `.../value/data` entry with
// the model's weights as a Python list, and packs the whole map again with Python's
// msgpack. So the output keeps the template's entries and their order, every integer,
// string and binary in the packer's smallest form, every number it wrote (and every
// float of the template) as float64, and the vocabulary rows padded with zeros to the
// template's. Without --meta_style, q_proj/k_proj rows are taken out of Hugging Face's
// rotary halves layout (the canonical, interleaved order); with it they stay in
// Hugging Face's. Streamed: memory is one head of rows plus the cursor's window.
#include "ckpt/byte_sink.hpp"
#include "ckpt/byte_source.hpp"
#include "ckpt/config.hpp"
#include "ckpt/convert.hpp"
#include "ckpt/weights.hpp"

namespace ckpt::ttml {

struct LlamaExportOptions {
  bool meta_style = false;  // keep q/k in Hugging Face's rotary layout
  size_t max_depth = 32;    // nesting of the template's containers
  uint64_t max_keys = uint64_t(1) << 20;
};

// Fails (writing only a prefix of the output, which the caller's atomic file discards)
// when the template is not a msgpack map, repeats a key, holds a Llama parameter whose
// size disagrees with the config, or names a layer the model does not have.
Result<WriteStats> write_llama_export(ByteSink& out, const ByteSource& tmpl, const ModelConfig& c,
                                      const WeightSource& w, const LlamaExportOptions& opt);

}  // namespace ckpt::ttml
