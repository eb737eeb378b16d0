// The README's library example: open, detect, read the config and tensor table,
// stream one tensor's values, and write the file in another layout.
#include <ckpt/checkpoint.hpp>
#include <ckpt/convert.hpp>
#include <ckpt/tensor_stream.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  auto src = ckpt::FileSource::open(argv[1]);
  if (!src) return std::fprintf(stderr, "%s\n", src.error().message.c_str()), 2;
  auto cp = ckpt::open_checkpoint(**src);
  if (!cp) return std::fprintf(stderr, "%s\n", cp.error().message.c_str()), 2;
  std::printf("%s dim=%lld tensors=%zu\n", std::string(ckpt::format_name(cp->format)).c_str(),
              (long long)cp->config->dim, cp->tensors.size());
  double sum = 0;
  ckpt::stream_f32(**src, *cp, *cp->find("norm.weight"), [&](uint64_t, const float* v, size_t n) {
    for (size_t i = 0; i < n; ++i) sum += v[i];
    return true;
  });
  std::printf("sum(norm.weight)=%.6f\n", sum);
  ckpt::ConvertOptions opt;
  opt.to = ckpt::Format::ak42_v2_q8_0;
  auto plan = ckpt::plan_conversion(*cp, opt);
  auto out = ckpt::AtomicFile::create(argv[2]);
  if (!plan || !out) return 2;
  auto written = ckpt::write_llama2c(**out, opt.to, plan->config, ckpt::CheckpointWeights(**src, *cp));
  if (!written || !(*out)->commit()) return 1;
  std::printf("wrote %llu bytes\n", (unsigned long long)written->bytes);
}
