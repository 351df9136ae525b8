/* unkillable: ignores SIGTERM and keeps printing, so only SIGKILL ends it.
 *
 *   unkillable [-g] [-i MS] [-p PIDFILE]
 *
 * -g forks a grandchild that also ignores TERM and just waits (same process
 * group). -i sets the print interval (default 100 ms). -p writes
 * "main PID\nchild PID\n" to PIDFILE (via a rename, so readers see it whole)
 * once everything is set up. Prints "ready PID [CHILD]" then "tick N" lines,
 * flushed. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int grandchild = 0;
  long interval_ms = 100;
  const char *pidfile = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "gi:p:")) != -1) {
    switch (opt) {
    case 'g': grandchild = 1; break;
    case 'i': interval_ms = atol(optarg); break;
    case 'p': pidfile = optarg; break;
    default:
      fprintf(stderr, "usage: unkillable [-g] [-i MS] [-p PIDFILE]\n");
      return 2;
    }
  }
  signal(SIGTERM, SIG_IGN);

  pid_t child = 0;
  if (grandchild) {
    child = fork();
    if (child < 0) {
      perror("unkillable: fork");
      return 1;
    }
    if (child == 0) {
      for (;;) pause();
    }
  }
  if (pidfile) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", pidfile);
    FILE *f = fopen(tmp, "we");
    if (!f) {
      perror("unkillable: pidfile");
      return 1;
    }
    fprintf(f, "main %d\n", (int)getpid());
    if (child) fprintf(f, "child %d\n", (int)child);
    if (fclose(f) != 0 || rename(tmp, pidfile) != 0) {
      perror("unkillable: pidfile");
      return 1;
    }
  }
  if (child) printf("ready %d %d\n", (int)getpid(), (int)child);
  else printf("ready %d\n", (int)getpid());
  fflush(stdout);

  struct timespec ts = {.tv_sec = interval_ms / 1000, .tv_nsec = (interval_ms % 1000) * 1000000L};
  for (unsigned long n = 0;; ++n) {
    printf("tick %lu\n", n);
    fflush(stdout);
    nanosleep(&ts, NULL);
  }
}
