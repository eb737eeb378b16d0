#pragma once
// What every tt-train reader works out about the model a checkpoint holds, whatever the
// container (msgpack, flatbuffer folder, tar): which model and under which key prefix.
// The canonical views (names.cpp) need nothing else.
#include <string>

#include "ckpt/checkpoint.hpp"

namespace ckpt::ttml {

struct TtmlModel : FamilyData {
  std::string model;   // "llama", "gpt2" or "" when not recognised
  std::string prefix;  // the model's key prefix, e.g. "llama/llama/"
};

// Recognises the model (Llama, GPT-2) and its prefix from the tensor names.
void name_ttml_tensors(const Checkpoint& cp, TtmlModel& model);

}  // namespace ckpt::ttml
