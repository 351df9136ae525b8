/* pipecat: the least any capture through a pipe can do; the log metrics' ceiling.
 *
 *   pipecat FILE
 *
 * Copies stdin (the job's pipe) into FILE (created, appended to) with blocking read(2)s of
 * up to 1 MiB and one write(2) per read, until EOF. No lines, no rotation, no event loop:
 * what it reaches on a machine is the most supd (or any supervisor reading a pipe) could. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: pipecat FILE\n");
    return 2;
  }
  int out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    perror(argv[1]);
    return 1;
  }
  static char buf[1 << 20];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("read");
      return 1;
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, (size_t)(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        perror(argv[1]);
        return 1;
      }
      done += w;
    }
  }
}
