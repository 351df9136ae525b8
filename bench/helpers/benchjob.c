/* benchjob: a job that timestamps itself, then waits for signals.
 *
 *   benchjob [-i] [-u] FILE TAG
 *
 * The first thing it does is read CLOCK_REALTIME; it appends "start TAG PID NS\n" to
 * FILE (O_APPEND, one write, so lines from many jobs never mix), then pauses forever.
 * -u: a SIGUSR1 handler appends "usr1 TAG PID NS\n", NS read inside the handler
 *     (clock_gettime and write are async-signal-safe).
 * -i: SIGTERM is ignored (a job that needs stop_timeout and SIGKILL).
 * SIGTERM otherwise keeps its default action: the job dies at once. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int record_fd = -1;
static const char *tag = "";

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int put_str(char *buf, int len, const char *s) {
  while (*s && len < 200) buf[len++] = *s++;
  return len;
}

static int put_num(char *buf, int len, long long v) {
  char digits[24];
  int n = 0;
  if (v < 0) v = 0;
  do digits[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) buf[len++] = digits[--n];
  return len;
}

/* "WORD TAG PID NS\n" in one write(2), built by hand: async-signal-safe. */
static void record(const char *word, long long ns) {
  char buf[256];
  int len = put_str(buf, 0, word);
  buf[len++] = ' ';
  len = put_str(buf, len, tag);
  buf[len++] = ' ';
  len = put_num(buf, len, (long long)getpid());
  buf[len++] = ' ';
  len = put_num(buf, len, ns);
  buf[len++] = '\n';
  ssize_t w = write(record_fd, buf, (size_t)len);
  (void)w;
}

static void on_usr1(int signo) {
  (void)signo;
  record("usr1", now_ns());
}

int main(int argc, char **argv) {
  const long long started = now_ns();
  int ignore_term = 0, catch_usr1 = 0, opt;
  while ((opt = getopt(argc, argv, "iu")) != -1) {
    if (opt == 'i') ignore_term = 1;
    else if (opt == 'u') catch_usr1 = 1;
    else return 2;
  }
  if (argc - optind != 2) {
    fprintf(stderr, "usage: benchjob [-i] [-u] FILE TAG\n");
    return 2;
  }
  tag = argv[optind + 1];
  record_fd = open(argv[optind], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (record_fd < 0) {
    perror(argv[optind]);
    return 1;
  }
  if (ignore_term) signal(SIGTERM, SIG_IGN);
  if (catch_usr1) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
  }
  /* Handlers are in place before the start line: once the harness sees it, USR1 is safe. */
  record("start", started);
  for (;;) pause();
}
