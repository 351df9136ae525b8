/* linespew SEED COUNT MAXLEN MAXWRITE REFFILE: writes COUNT lines of pseudo-random length
 * (1 byte, the newline alone, up to MAXLEN bytes with it; most short, some past any read
 * buffer and PIPE_BUF) to stdout in writes of pseudo-random size (1 to MAXWRITE bytes, cut
 * anywhere, mid-line included), and the very same bytes to REFFILE in one go at the end.
 * The output must come out of supd byte for byte as REFFILE holds it (TESTPLAN R32). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t state;

static uint64_t next(void) { /* xorshift64*: the same sequence for the same seed */
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ULL;
}

static size_t between(size_t lo, size_t hi) { return lo + (size_t)(next() % (hi - lo + 1)); }

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: linespew SEED COUNT MAXLEN MAXWRITE REFFILE\n");
    return 2;
  }
  state = strtoull(argv[1], NULL, 10) | 1;
  long count = atol(argv[2]);
  size_t maxlen = (size_t)atol(argv[3]), maxwrite = (size_t)atol(argv[4]);
  if (count < 1 || maxlen < 1 || maxwrite < 1) return 2;

  size_t cap = (size_t)count * 16 + maxlen, used = 0;
  char *all = malloc(cap);
  if (!all) return 1;
  for (long i = 0; i < count; ++i) {
    const unsigned pick = (unsigned)(next() % 100);
    size_t len = pick < 70 ? between(1, 200) : pick < 95 ? between(201, 10000) : between(10001, maxlen);
    if (len > maxlen) len = maxlen;
    if (used + len > cap) {
      cap = (used + len) * 2;
      char *grown = realloc(all, cap);
      if (!grown) {
        free(all);
        return 1;
      }
      all = grown;
    }
    for (size_t k = 0; k + 1 < len; ++k) all[used + k] = (char)('!' + (i + (long)k) % 90);
    all[used + len - 1] = '\n';
    used += len;
  }
  for (size_t off = 0; off < used;) {
    size_t n = next() % 10 < 3 ? between(1, 16) : between(1, maxwrite);
    if (n > used - off) n = used - off;
    ssize_t w = write(1, all + off, n);
    if (w < 0) {
      free(all);
      return 1;
    }
    off += (size_t)w;
  }
  FILE *ref = fopen(argv[5], "wb");
  const int ok = ref && fwrite(all, 1, used, ref) == used && fclose(ref) == 0;
  free(all); /* a leak report under ASan would go to stderr, which is this job's log */
  return ok ? 0 : 1;
}
