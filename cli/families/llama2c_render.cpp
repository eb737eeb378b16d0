// What llama2.c files show beyond the common model: how the Q8_0 v2 order was decided.
#include <fmt/format.h>

#include "family_render.hpp"
#include "llama2c/reader.hpp"

namespace ckpt::cli {

namespace {

std::string text(const Checkpoint& cp) {
  const auto* data = cp.data_as<llama2c::Llama2cData>();
  if (!data || !data->q8_order) return {};
  return fmt::format("  q8 order: {}\n", data->q8_order->decided_by);
}

void json(const Checkpoint& cp, nlohmann::json& doc) {
  const auto* data = cp.data_as<llama2c::Llama2cData>();
  if (!data || !data->q8_order) return;
  const auto& d = *data->q8_order;
  doc["q8_order"] = {
      {"interleaved_fits", d.interleaved_fits}, {"scales_last_fits", d.scales_last_fits}, {"decided_by", d.decided_by}};
}

}  // namespace

const FamilyRenderer kLlama2cRenderer{text, json, nullptr};

}  // namespace ckpt::cli
