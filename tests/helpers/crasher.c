/* crasher: ends in a chosen way, optionally after a delay.
 *
 *   crasher [-d MS] [-m TEXT] [-c] exit CODE
 *   crasher [-d MS] [-m TEXT] [-c] signal SIGNO
 *
 * -m prints TEXT and a newline first (flushed). -d waits MS milliseconds.
 * -c raises the core size soft limit to the hard limit, so a fatal signal
 * dumps core where the kernel's core_pattern allows. "signal" restores the
 * default action and unblocks SIGNO before raising it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr, "usage: crasher [-d MS] [-m TEXT] [-c] exit CODE | signal SIGNO\n");
  return 2;
}

int main(int argc, char **argv) {
  long delay_ms = 0;
  const char *message = NULL;
  int core = 0;
  int opt;
  while ((opt = getopt(argc, argv, "+d:m:c")) != -1) {
    switch (opt) {
    case 'd': delay_ms = atol(optarg); break;
    case 'm': message = optarg; break;
    case 'c': core = 1; break;
    default: return usage();
    }
  }
  if (optind + 2 != argc) return usage();
  const char *how = argv[optind];
  int value = atoi(argv[optind + 1]);

  if (message) {
    printf("%s\n", message);
    fflush(stdout);
  }
  if (delay_ms > 0) {
    struct timespec ts = {.tv_sec = delay_ms / 1000, .tv_nsec = (delay_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
  }
  if (core) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_CORE, &rl) == 0) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_CORE, &rl);
    }
  }
  if (!strcmp(how, "exit")) return value;
  if (!strcmp(how, "signal")) {
    signal(value, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, value);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(value);
    fprintf(stderr, "crasher: signal %d did not end the process\n", value);
    return 99;
  }
  return usage();
}
