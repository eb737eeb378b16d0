// Weight sources for writers: in memory, or a checkpoint's canonical views.
#include "ckpt/weights.hpp"

#include "ckpt/view_reader.hpp"

namespace ckpt {

namespace {

Error count_error(const TensorSpec& spec, uint64_t got) {
  return Error{
      ErrorCode::write_source,
      spec.name + ": source gave " + std::to_string(got) + " values, the layout needs " + std::to_string(spec.numel),
      {}};
}

}  // namespace

Result<uint64_t> MemoryWeights::values(const TensorSpec& spec, const F32Sink& sink) const {
  auto it = tensors.find(spec.name);
  if (it == tensors.end() && spec.name == "output.weight") it = tensors.find("tok_embeddings.weight");
  if (it == tensors.end()) return Error{ErrorCode::write_source, spec.name + ": not in the source", {}};
  if (it->second.size() != spec.numel) return count_error(spec, it->second.size());
  sink(0, it->second.data(), it->second.size());
  return uint64_t(it->second.size());
}

const CanonicalView* CheckpointWeights::lookup(const std::string& name) const {
  const CanonicalView* v = find_view(views_, name);
  // A shared classifier is the embedding: files that share it store no output.weight.
  if (!v && name == "output.weight") v = find_view(views_, "tok_embeddings.weight");
  return v;
}

Result<uint64_t> CheckpointWeights::values(const TensorSpec& spec, const F32Sink& sink) const {
  const CanonicalView* v = lookup(spec.name);
  if (!v) return Error{ErrorCode::write_source, spec.name + ": not in " + cp_.path, {}};
  const TensorInfo& t = cp_.tensors[v->tensor];
  if (t.status != TensorStatus::complete)
    return Error{ErrorCode::write_source,
                 t.spec.name + " is " + std::string(tensor_status_name(t.status)) + " in " + cp_.path, t.place.offset};
  // A view may hold more than the target needs (the rows of a padded vocabulary, or the
  // first values --tensor prints): its first spec.numel values stream.
  if (v->numel < spec.numel) return count_error(spec, v->numel);
  if (v->simple()) {
    // One stored tensor in order: its own stream (encoded formats can only stream).
    const uint64_t first = v->elem_offset(), want = spec.numel;
    uint64_t sent = 0;
    auto r = stream_f32(cp_, t, [&](uint64_t at, const float* x, size_t n) {
      const uint64_t lo = std::max(at, first), hi = std::min<uint64_t>(at + n, first + want);
      if (lo < hi) {
        if (!sink(sent, x + (lo - at), size_t(hi - lo))) return false;
        sent += hi - lo;
      }
      return at + n < first + want;
    });
    if (!r) return r.error();
    return sent;
  }
  // Shards or permuted rows: through the view reader.
  return stream_view_f32(cp_, *v, 0, spec.numel, sink);
}

bool CheckpointWeights::has_raw_q8(const TensorSpec& spec, int64_t gs) const {
  const CanonicalView* v = lookup(spec.name);
  if (!v || !v->simple() || v->row_begin != 0) return false;
  const TensorInfo& t = cp_.tensors[v->tensor];
  return t.spec.dtype == DType::q8_0 && cp_.config && cp_.config->group_size == gs &&
         t.status == TensorStatus::complete && t.spec.numel == spec.numel;
}

Result<uint64_t> CheckpointWeights::raw_q8(const TensorSpec& spec, const Q8Sink& sink) const {
  const CanonicalView* v = lookup(spec.name);
  if (!v) return Error{ErrorCode::write_source, spec.name + ": not in " + cp_.path, {}};
  return stream_q8(cp_, cp_.tensors[v->tensor], sink);
}

}  // namespace ckpt
