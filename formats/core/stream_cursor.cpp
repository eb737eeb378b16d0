#include "stream_cursor.hpp"

#include <algorithm>
#include <cstring>

#include "ckpt/tensor_stream.hpp"

namespace ckpt::core {

namespace {
constexpr size_t kQueue = 2;
}

StreamCursor::StreamCursor(const Checkpoint& cp, const TensorInfo& t, size_t chunk_elems) : name_(t.spec.name) {
  producer_ = std::thread([this, &cp, &t, chunk_elems] { produce(cp, t, chunk_elems); });
}

StreamCursor::~StreamCursor() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  producer_.join();
}

void StreamCursor::produce(const Checkpoint& cp, const TensorInfo& t, size_t chunk_elems) {
  auto r = stream_f32(
      cp, t,
      [&](uint64_t first, const float* v, size_t n) {
        Chunk c{first, std::vector<float>(v, v + n)};
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stop_ || queue_.size() < kQueue; });
        if (stop_) return false;
        queue_.push_back(std::move(c));
        cv_.notify_all();
        return true;
      },
      chunk_elems);
  std::lock_guard<std::mutex> lock(m_);
  if (!r) error_ = r.error();
  finished_ = true;
  cv_.notify_all();
}

bool StreamCursor::next_chunk() {
  std::unique_lock<std::mutex> lock(m_);
  cv_.wait(lock, [&] { return !queue_.empty() || finished_; });
  if (queue_.empty()) return false;
  cur_ = std::move(queue_.front());
  queue_.pop_front();
  cv_.notify_all();
  return true;
}

Result<bool> StreamCursor::read(uint64_t e0, size_t n, float* out) {
  size_t got = 0;
  while (got < n) {
    const uint64_t want = e0 + got;
    const uint64_t end = cur_.first + cur_.v.size();
    if (want >= cur_.first && want < end) {
      const size_t k = size_t(std::min<uint64_t>(end - want, n - got));
      std::memcpy(out + got, cur_.v.data() + (want - cur_.first), k * 4);
      got += k;
      pos_ = want + k;
      continue;
    }
    if (!next_chunk()) {
      std::lock_guard<std::mutex> lock(m_);
      if (error_) return *error_;
      return Error{ErrorCode::io_read, name_ + ": the stream ended before element " + std::to_string(want), {}};
    }
  }
  return true;
}

}  // namespace ckpt::core
