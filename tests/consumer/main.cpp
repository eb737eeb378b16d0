// The README's library example: open, detect, read the config and tensor table,
// stream one tensor's values, and write the file in another format.
#include <ckpt/checkpoint.hpp>
#include <ckpt/convert.hpp>
#include <ckpt/tensor_stream.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  auto src = ckpt::FileSource::open(argv[1]);
  if (!src) return std::fprintf(stderr, "%s\n", src.error().message.c_str()), 2;
  auto cp = ckpt::open_checkpoint(std::shared_ptr<const ckpt::ByteSource>(std::move(*src)));
  if (!cp) return std::fprintf(stderr, "%s\n", cp.error().message.c_str()), 2;
  std::printf("%s dim=%lld tensors=%zu\n", std::string(cp->format.name()).c_str(), (long long)cp->config->dim,
              cp->tensors.size());
  double sum = 0;
  ckpt::stream_f32(*cp, *cp->find("norm.weight"), [&](uint64_t, const float* v, size_t n) {
    for (size_t i = 0; i < n; ++i) sum += v[i];
    return true;
  });
  std::printf("sum(norm.weight)=%.6f\n", sum);
  ckpt::ConvertOptions opt;
  opt.to = ckpt::parse_format_name("ak42-v2-q8_0").value();
  auto plan = ckpt::plan_conversion(*cp, opt);
  auto out = ckpt::AtomicFile::create(argv[2]);
  if (!plan || !out) return 2;
  auto written = ckpt::write_conversion(**out, *cp, *plan);
  if (!written || !(*out)->commit()) return 1;
  std::printf("wrote %llu bytes\n", (unsigned long long)written->bytes);
}
