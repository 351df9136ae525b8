/* notifier: a job that speaks the sd_notify protocol when the test says so.
 *
 *   notifier [-w FILE] [-d MS] [-s STATUS] [-c] [-e CODE]
 *
 * Prints "notifier NOTIFY_SOCKET=<value>" (or "... unset", and then only sleeps until killed,
 * unless -e) and "waiting", then waits until
 * FILE exists (-w) and/or MS milliseconds (-d). Then, with -e, exits with CODE without sending
 * anything; otherwise sends "STATUS=<STATUS>\nREADY=1" (STATUS part only with -s) to
 * $NOTIFY_SOCKET with sendto(2) -- with -c from a forked child, which stays alive in the
 * process group (a sender that is gone cannot be placed in the job) -- prints "sent READY=1"
 * and sleeps until killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_ready(const char *status) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (!path || !*path) {
    fprintf(stderr, "notifier: NOTIFY_SOCKET is not set\n");
    return 1;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return 1;
  strcpy(addr.sun_path, path);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0'; /* abstract, as sd_notify allows */
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  char msg[512];
  int n = status ? snprintf(msg, sizeof msg, "STATUS=%s\nREADY=1", status) : snprintf(msg, sizeof msg, "READY=1");
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
  if (sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&addr, len) < 0) {
    fprintf(stderr, "notifier: sendto %s: %s\n", path, strerror(errno));
    close(fd);
    return 1;
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  const char *file = NULL, *status = NULL;
  int delay_ms = 0, from_child = 0, exit_code = -1, opt;
  while ((opt = getopt(argc, argv, "w:d:s:ce:")) != -1) {
    switch (opt) {
    case 'w': file = optarg; break;
    case 'd': delay_ms = atoi(optarg); break;
    case 's': status = optarg; break;
    case 'c': from_child = 1; break;
    case 'e': exit_code = atoi(optarg); break;
    default: fprintf(stderr, "usage: notifier [-w FILE] [-d MS] [-s STATUS] [-c] [-e CODE]\n"); return 2;
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *ns = getenv("NOTIFY_SOCKET");
  if (ns) printf("notifier NOTIFY_SOCKET=%s\n", ns);
  else printf("notifier NOTIFY_SOCKET unset\n");
  if (!ns && exit_code < 0) /* not a notify job: nobody to tell, just run */
    for (;;) pause();
  printf("waiting\n");
  if (delay_ms > 0) poll(NULL, 0, delay_ms);
  while (file && access(file, F_OK) != 0) poll(NULL, 0, 10);
  if (exit_code >= 0) {
    printf("exiting %d without READY=1\n", exit_code);
    return exit_code;
  }
  if (from_child) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid > 0) for (;;) pause(); /* the main process says nothing */
  }
  if (send_ready(status) != 0) return 1;
  printf("sent READY=1%s\n", from_child ? " from a child" : "");
  for (;;) pause();
}
