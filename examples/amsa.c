/* amsa: the lecture's ticking program (signals-and-nohup), in C so the demo needs only libc.
 *
 * Prints "Tick 0", "Tick 1", ... one line a second, each line written straight to fd 1
 * (no stdio buffer, so a redirected or supervised output file sees every line at once).
 *   SIGUSR1  prints "Hello world" right away, then the ticks go on.
 *   SIGTERM  prints "Bye" and exits 0 (a graceful stop).
 *   SIGHUP   is left alone on purpose: its default action kills the program, unless whoever
 *            started it ignored HUP first (nohup, or supd's `ignore_signals = ["HUP"]`).
 *
 * The handlers only set flags; all printing happens in main. The two signals are blocked
 * except while waiting in pselect(), which unblocks them atomically, so a signal sent at any
 * moment wakes the wait at once instead of being noticed a second late.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1;
static volatile sig_atomic_t got_term;

static void on_signal(int signo) {
  if (signo == SIGUSR1) got_usr1 = 1;
  if (signo == SIGTERM) got_term = 1;
}

/* One write(2) per line: short writes to a pipe or file are atomic, so lines never mix. */
static void say(const char *line) {
  size_t left = strlen(line);
  while (left > 0) {
    ssize_t n = write(STDOUT_FILENO, line, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return; /* nowhere to write to: drop the line, keep ticking */
    line += n;
    left -= (size_t)n;
  }
}

static int passed(struct timespec deadline, struct timespec now) {
  return deadline.tv_sec < now.tv_sec ||
         (deadline.tv_sec == now.tv_sec && deadline.tv_nsec <= now.tv_nsec);
}

/* The tick after `tick`, one second on; after a pause (SIGSTOP, suspend) one second from now,
 * rather than a burst of the ticks that were missed. */
static struct timespec next_after(struct timespec tick) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  tick.tv_sec += 1;
  if (passed(tick, now)) {
    tick = now;
    tick.tv_sec += 1;
  }
  return tick;
}

/* deadline - now, or zero when the deadline has passed. */
static struct timespec until(struct timespec deadline) {
  struct timespec now, left = {0, 0};
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (passed(deadline, now)) return left;
  left.tv_sec = deadline.tv_sec - now.tv_sec;
  left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
  if (left.tv_nsec < 0) {
    left.tv_sec -= 1;
    left.tv_nsec += 1000000000L;
  }
  return left;
}

int main(void) {
  sigset_t handled, wait_mask;
  sigemptyset(&handled);
  sigaddset(&handled, SIGUSR1);
  sigaddset(&handled, SIGTERM);
  sigprocmask(SIG_BLOCK, &handled, &wait_mask); /* wait_mask: the mask we were started with */
  sigdelset(&wait_mask, SIGUSR1);
  sigdelset(&wait_mask, SIGTERM);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  struct timespec next_tick;
  clock_gettime(CLOCK_MONOTONIC, &next_tick);
  for (unsigned long counter = 0;;) {
    if (got_usr1) {
      got_usr1 = 0;
      say("Hello world\n");
    }
    if (got_term) {
      say("Bye\n");
      return 0;
    }
    struct timespec left = until(next_tick);
    if (left.tv_sec == 0 && left.tv_nsec == 0) {
      char line[32];
      snprintf(line, sizeof line, "Tick %lu\n", counter++);
      say(line);
      next_tick = next_after(next_tick); /* a fixed cadence: a signal does not shift the ticks */
      continue;
    }
    /* Sleep until the next tick; a signal ends the wait early (EINTR) and the loop prints. */
    pselect(0, NULL, NULL, NULL, &left, &wait_mask);
  }
}
