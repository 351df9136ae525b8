/* seqslow PERIOD_MS [TAG]: writes "<TAG> <seq>\n" (seq from 1) every PERIOD_MS milliseconds,
 * forever, each line with one write(2) to stdout. Signal dispositions are left alone: a write
 * to a pipe nobody can read any more kills it with SIGPIPE, which is what the tests must never
 * see happen to a job whose supd died. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: seqslow PERIOD_MS [TAG]\n");
    return 2;
  }
  long period = atol(argv[1]);
  const char *tag = argc > 2 ? argv[2] : "line";
  struct timespec ts = {period / 1000, (period % 1000) * 1000000L};
  char line[128];
  for (unsigned long long i = 1;; ++i) {
    int n = snprintf(line, sizeof line, "%s %llu\n", tag, i);
    if (write(1, line, (size_t)n) != n) return 1;
    if (period > 0) nanosleep(&ts, NULL);
  }
}
