#include "test_support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "ckpt/le.hpp"
#include "ckpt/views.hpp"
#include "llama2c/formats.hpp"
#include "llama2c/layout.hpp"
#include "llama2c/writer.hpp"

namespace ckpt::test {

ModelConfig gqa_config() {
  ModelConfig c;
  c.dim = 64;
  c.hidden_dim = 172;
  c.n_layers = 2;
  c.n_heads = 8;
  c.n_kv_heads = 4;
  c.vocab_size = 96;
  c.seq_len = 32;
  c.shared_classifier = true;
  return c;
}

ModelConfig untied_config() {
  ModelConfig c;
  c.dim = 48;
  c.hidden_dim = 128;
  c.n_layers = 2;
  c.n_heads = 6;
  c.n_kv_heads = 6;
  c.vocab_size = 64;
  c.seq_len = 16;
  c.shared_classifier = false;
  return c;
}

namespace {
uint32_t fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char ch : s) h = (h ^ ch) * 16777619u;
  return h;
}
uint32_t mix(uint32_t x) {  // "lowbias32"
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
}  // namespace

float weight_value(const std::string& name, uint64_t index, uint32_t seed) {
  const uint32_t u = mix((fnv1a(name) ^ seed) ^ uint32_t(index * 0x9E3779B1ull));
  const float v = float(u >> 8) * (1.0f / 16777216.0f) - 0.5f;  // exact in fp32: [-0.5, 0.5)
  if (name.find("norm") != std::string::npos) return 1.0f + v * 0.125f;
  return v * 0.25f;
}

MemoryWeights make_weights(const ModelConfig& c, uint32_t seed) {
  MemoryWeights w;
  ModelConfig untied = c;
  untied.shared_classifier = false;
  for (Format f : {llama2c::v0}) {
    auto specs = llama2c::tensor_specs(f, untied);
    if (!specs) return w;
    for (const auto& s : *specs) {
      if (s.name == "freqs_cos" || s.name == "freqs_sin") continue;
      if (s.name == "output.weight" && c.shared_classifier) continue;
      std::vector<float> v(s.numel);
      for (uint64_t i = 0; i < s.numel; ++i) v[i] = weight_value(s.name, i, seed);
      w.tensors[s.name] = std::move(v);
    }
  }
  return w;
}

std::vector<uint8_t> write_bytes(Format f, ModelConfig c, const WeightSource& w) {
  if (llama2c::is_q8(f) && c.group_size <= 0) c.group_size = exporter_group_size(c.dim);
  if (!llama2c::is_q8(f)) c.group_size = 0;
  MemorySink sink;
  auto r = llama2c::write_llama2c(sink, f, c, w);
  if (!r) return {};
  return sink.bytes();
}

std::vector<uint8_t> write_bytes(Format f, const ModelConfig& c) { return write_bytes(f, c, make_weights(c)); }

Result<Checkpoint> open_bytes(const std::vector<uint8_t>& bytes, OpenOptions opt) {
  // The checkpoint keeps its source: it outlives this call.
  return open_checkpoint(std::make_shared<MemorySource>(bytes, "<test>"), opt);
}

const TensorInfo* tensor_named(const Checkpoint& cp, const std::string& name) {
  if (const TensorInfo* t = cp.find(name)) return t;
  const auto views = canonical_views(cp);
  const CanonicalView* v = find_view(views, name);
  return v ? &cp.tensors[v->tensor] : nullptr;
}

std::string canonical_of(const Checkpoint& cp, const TensorInfo& t) {
  return canonical_names_of(canonical_views(cp), size_t(&t - cp.tensors.data()), t.spec.name);
}

void put_i32(std::vector<uint8_t>& b, uint64_t off, int32_t v) { store_u32(b.data() + off, uint32_t(v)); }
void put_f32(std::vector<uint8_t>& b, uint64_t off, float v) { store_f32(b.data() + off, v); }

std::string temp_dir() {
  static std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ckpt-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char* made = ::mkdtemp(buf.data());
    return std::string(made ? made : "/tmp");
  }();
  return dir;
}

std::string write_temp(const std::string& name, const std::vector<uint8_t>& bytes) {
  std::string path = temp_dir() + "/" + name;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  return path;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

namespace {
std::string slurp_fd(int fd) {
  std::string s;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
  ::close(fd);
  return s;
}
}  // namespace

RunResult run_ckpt(const std::vector<std::string>& args) {
  // stdout and stderr go to temporary files so a large output cannot deadlock a pipe.
  std::string out_path = temp_dir() + "/.run-out-XXXXXX", err_path = temp_dir() + "/.run-err-XXXXXX";
  int out_fd = ::mkstemp(out_path.data()), err_fd = ::mkstemp(err_path.data());
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    std::vector<char*> argv;
    std::string bin = CKPT_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::lseek(out_fd, 0, SEEK_SET);
  ::lseek(err_fd, 0, SEEK_SET);
  RunResult r{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp_fd(out_fd), slurp_fd(err_fd)};
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  return r;
}

std::string real_file(const std::string& name) {
  std::string path = std::string(CKPT_SOURCE_DIR) + "/../shared/real/" + name;
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? path : std::string();
}

std::string fixture_path(const std::string& name) { return std::string(CKPT_SOURCE_DIR) + "/fixtures/" + name; }

}  // namespace ckpt::test
