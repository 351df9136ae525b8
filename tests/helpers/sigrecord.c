/* sigrecord: records every signal it receives, then keeps waiting.
 *
 *   sigrecord [-g N] [-e SIGNO[,SIGNO...]] FILE
 *
 * Catches every signal a process can catch except the synchronous faults
 * (SEGV, BUS, FPE, ILL, ABRT, TRAP, SYS) and CHLD, including the real-time
 * ones. Each delivery appends "PID SIGNO\n" to FILE (O_APPEND, one write, so
 * lines never mix). -g forks N grandchildren first; they share the handlers
 * and record with their own PID. -e lists signals after which the receiving
 * process exits 0 once it has recorded them. Prints "ready PID [CHILD...]"
 * on stdout (flushed) when every process is set up. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int record_fd = -1;
static volatile sig_atomic_t exit_on[65];

static void handler(int signo) {
  char buf[32];
  char digits[16];
  int n = 0, len = 0;
  unsigned v = (unsigned)getpid();
  do digits[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) buf[len++] = digits[--n];
  buf[len++] = ' ';
  v = (unsigned)signo;
  do digits[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) buf[len++] = digits[--n];
  buf[len++] = '\n';
  ssize_t w = write(record_fd, buf, (size_t)len);
  (void)w;
  if (signo > 0 && signo < 65 && exit_on[signo]) _exit(0);
}

static int catchable(int signo) {
  switch (signo) {
  case SIGKILL: case SIGSTOP: case SIGCHLD:
  case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGABRT: case SIGTRAP: case SIGSYS:
    return 0;
  default:
    return 1;
  }
}

int main(int argc, char **argv) {
  int children = 0;
  int opt;
  while ((opt = getopt(argc, argv, "g:e:")) != -1) {
    switch (opt) {
    case 'g': children = atoi(optarg); break;
    case 'e': {
      char *list = strdup(optarg);
      for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int s = atoi(tok);
        if (s > 0 && s < 65) exit_on[s] = 1;
      }
      free(list);
      break;
    }
    default:
      fprintf(stderr, "usage: sigrecord [-g N] [-e SIGNO,...] FILE\n");
      return 2;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "usage: sigrecord [-g N] [-e SIGNO,...] FILE\n");
    return 2;
  }
  record_fd = open(argv[optind], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (record_fd < 0) {
    perror("sigrecord: open");
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int s = 1; s <= SIGRTMAX; ++s)
    if (catchable(s)) sigaction(s, &sa, NULL);

  pid_t kids[64];
  if (children > 64) children = 64;
  for (int i = 0; i < children; ++i) {
    kids[i] = fork();
    if (kids[i] < 0) {
      perror("sigrecord: fork");
      return 1;
    }
    if (kids[i] == 0) {
      for (;;) pause();
    }
  }
  printf("ready %d", (int)getpid());
  for (int i = 0; i < children; ++i) printf(" %d", (int)kids[i]);
  printf("\n");
  fflush(stdout);
  for (;;) pause();
}
