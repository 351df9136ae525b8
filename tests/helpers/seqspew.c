/* seqspew COUNT LEN [TAIL] [BUFSIZE]: writes COUNT numbered lines "<seq> <pad>\n", each LEN
 * bytes with its newline (longer when the number needs more room), seq counting from 1; then
 * TAIL with no newline, if given and not empty; then exits 0. Output goes through a
 * BUFSIZE-byte buffer (default 8191, deliberately not a multiple of LEN), so writes end in
 * the middle of lines, as a real job's do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *buf;
static size_t used, cap;

static void flush_out(void) {
  size_t off = 0;
  while (off < used) {
    ssize_t n = write(1, buf + off, used - off);
    if (n < 0) exit(1);
    off += (size_t)n;
  }
  used = 0;
}

static void put(const char *p, size_t n) {
  while (n > 0) {
    size_t room = cap - used, k = n < room ? n : room;
    memcpy(buf + used, p, k);
    used += k;
    p += k;
    n -= k;
    if (used == cap) flush_out();
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: seqspew COUNT LEN [TAIL] [BUFSIZE]\n");
    return 2;
  }
  long long count = atoll(argv[1]);
  long len = atol(argv[2]);
  cap = argc > 4 ? (size_t)atol(argv[4]) : 8191;
  if (cap == 0) cap = 1;
  buf = malloc(cap);
  char *line = malloc((size_t)len + 32);
  if (!buf || !line) return 1;
  for (long long i = 1; i <= count; ++i) {
    int n = snprintf(line, 32, "%lld ", i);
    while (n < len - 1) line[n++] = 'x';
    line[n++] = '\n';
    put(line, (size_t)n);
  }
  if (argc > 3 && argv[3][0] != '\0') put(argv[3], strlen(argv[3]));
  flush_out();
  free(line);  // the sanitizer build's leak report would land in the job's log
  free(buf);
  return 0;
}
