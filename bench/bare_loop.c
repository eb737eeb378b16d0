/* The limit for `ckpt diff`: a bare C loop that reads two files in 4 MiB chunks and
 * compares them as floats, position by position from their payload offsets (counting
 * mismatches and the largest difference). It knows nothing of layouts or metrics: no
 * real diff can do less work.
 *
 *   bare_loop A OFFSET_A B OFFSET_B
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define CHUNK (1 << 20)

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: bare_loop A OFFSET_A B OFFSET_B\n");
    return 2;
  }
  FILE* fa = fopen(argv[1], "rb");
  FILE* fb = fopen(argv[3], "rb");
  if (!fa || !fb) return 2;
  fseek(fa, atol(argv[2]), SEEK_SET);
  fseek(fb, atol(argv[4]), SEEK_SET);
  float* a = malloc(CHUNK * sizeof(float));
  float* b = malloc(CHUNK * sizeof(float));
  unsigned long long n = 0, mism = 0;
  float max_abs = 0;
  for (;;) {
    size_t ka = fread(a, sizeof(float), CHUNK, fa), kb = fread(b, sizeof(float), CHUNK, fb);
    size_t k = ka < kb ? ka : kb;
    if (k == 0) break;
    for (size_t i = 0; i < k; ++i) {
      float d = fabsf(a[i] - b[i]);
      mism += a[i] != b[i];
      max_abs = d > max_abs ? d : max_abs;
    }
    n += k;
  }
  printf("%llu floats, %llu differ, max abs difference %g\n", n, mism, max_abs);
  return mism != 0;
}
