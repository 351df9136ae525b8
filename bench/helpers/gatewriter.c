/* gatewriter: writes a known amount of output to stdout once a gate opens.
 *
 *   gatewriter GATE SIZE COUNT
 *
 * Creates GATE.ready, then opens the FIFO GATE for reading, which blocks until the harness
 * opens it for writing (the harness reads CLOCK_REALTIME just before). Then COUNT write(2)
 * calls of SIZE bytes each go to stdout (short writes are completed), and it exits 0.
 * The bytes are lines: 100-byte lines when SIZE is 100 (one flushed line per write),
 * 64-byte lines otherwise, so line-aware capture sees ordinary text. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: gatewriter GATE SIZE COUNT\n");
    return 2;
  }
  const size_t size = strtoull(argv[2], NULL, 10);
  const unsigned long long count = strtoull(argv[3], NULL, 10);
  if (size == 0) return 2;
  char *buf = malloc(size);
  if (!buf) return 1;
  const size_t line = size == 100 ? 100 : 64;
  for (size_t i = 0; i < size; ++i) buf[i] = (i % line == line - 1) ? '\n' : (char)('a' + i % 26);
  buf[size - 1] = '\n';

  char ready[4096];
  snprintf(ready, sizeof ready, "%s.ready", argv[1]);
  int rfd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (rfd < 0) {
    perror(ready);
    return 1;
  }
  close(rfd);
  int gate = open(argv[1], O_RDONLY | O_CLOEXEC);  /* blocks until the gate opens */
  if (gate < 0) {
    perror(argv[1]);
    return 1;
  }
  close(gate);
  for (unsigned long long i = 0; i < count; ++i)
    if (write_all(buf, size) != 0) {
      perror("write");
      return 1;
    }
  return 0;
}
