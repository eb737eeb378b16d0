#include <openssl/evp.h>
#include <xxhash.h>

#include <cstdio>

#include "ckpt/hash.hpp"

namespace ckpt {

std::string_view hash_algo_name(HashAlgo a) {
  switch (a) {
    case HashAlgo::xxh64:
      return "xxh64";
    case HashAlgo::xxh3_128:
      return "xxh3-128";
    case HashAlgo::sha256:
      return "sha256";
  }
  return "xxh64";
}

std::optional<HashAlgo> parse_hash_algo(std::string_view name) {
  for (auto a : {HashAlgo::xxh64, HashAlgo::xxh3_128, HashAlgo::sha256})
    if (hash_algo_name(a) == name) return a;
  return std::nullopt;
}

namespace {

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  return s;
}

class Xxh64 final : public Hasher {
 public:
  Xxh64() : st_(XXH64_createState()) { XXH64_reset(st_, 0); }
  ~Xxh64() override { XXH64_freeState(st_); }
  void update(const void* d, size_t n) override { XXH64_update(st_, d, n); }
  std::string hex_digest() override {
    XXH64_canonical_t c;
    XXH64_canonicalFromHash(&c, XXH64_digest(st_));
    return hex(c.digest, sizeof c.digest);
  }

 private:
  XXH64_state_t* st_;
};

class Xxh3_128 final : public Hasher {
 public:
  Xxh3_128() : st_(XXH3_createState()) { XXH3_128bits_reset(st_); }
  ~Xxh3_128() override { XXH3_freeState(st_); }
  void update(const void* d, size_t n) override { XXH3_128bits_update(st_, d, n); }
  std::string hex_digest() override {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st_));
    return hex(c.digest, sizeof c.digest);
  }

 private:
  XXH3_state_t* st_;
};

// OpenSSL's libcrypto: a well-kept SHA-256, no hand-written crypto.
class Sha256 final : public Hasher {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() override { EVP_MD_CTX_free(ctx_); }
  void update(const void* d, size_t n) override { EVP_DigestUpdate(ctx_, d, n); }
  std::string hex_digest() override {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    return hex(out, len);
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

std::unique_ptr<Hasher> make_hasher(HashAlgo a) {
  switch (a) {
    case HashAlgo::xxh64:
      return std::make_unique<Xxh64>();
    case HashAlgo::xxh3_128:
      return std::make_unique<Xxh3_128>();
    case HashAlgo::sha256:
      return std::make_unique<Sha256>();
  }
  return std::make_unique<Xxh64>();
}

}  // namespace ckpt
