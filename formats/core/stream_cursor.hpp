#pragma once
// Sequential reads of a tensor that can only be streamed (msgpack arrays of numbers of
// varying width): one producer thread runs stream_f32 from the tensor's start and hands
// chunks over through a queue of at most two, so the consumer reads increasing ranges
// with memory bounded by three chunks, and each element is decoded once.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "ckpt/checkpoint.hpp"

namespace ckpt::core {

class StreamCursor {
 public:
  StreamCursor(const Checkpoint& cp, const TensorInfo& t, size_t chunk_elems);
  ~StreamCursor();
  StreamCursor(const StreamCursor&) = delete;
  StreamCursor& operator=(const StreamCursor&) = delete;
  // The next element the cursor can deliver: reads must start at or after it.
  uint64_t position() const { return pos_; }
  // Copies tensor elements [e0, e0 + n) into out, skipping what lies before e0. Fails
  // with the stream's error, or io_read when the stream ends first.
  Result<bool> read(uint64_t e0, size_t n, float* out);

 private:
  struct Chunk {
    uint64_t first;
    std::vector<float> v;
  };
  void produce(const Checkpoint& cp, const TensorInfo& t, size_t chunk_elems);
  bool next_chunk();  // waits for the producer; false at the end of the stream

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_;
  bool finished_ = false, stop_ = false;
  std::optional<Error> error_;
  std::thread producer_;
  Chunk cur_{0, {}};
  uint64_t pos_ = 0;
  std::string name_;
};

}  // namespace ckpt::core
