/* probe: reports how it was started, then sleeps until killed.
 *
 *   probe [-o FILE] [ENVNAME...]
 *
 * Gathers, before opening anything of its own: pid, ppid, sid, pgid, the
 * SigIgn/SigBlk/SigCgt lines of /proc/self/status, whether a controlling
 * terminal exists (open("/dev/tty") fails without one), what a read of fd 0
 * gives, every open fd with its readlink target, the cwd and the named
 * environment variables. Prints it as "key: value" lines between
 * "probe-begin PID" and "probe-end PID" to stdout, or with -o to FILE
 * (written to FILE.tmp, then renamed, so a reader never sees half of it).
 * Then it waits in pause() forever. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char report[65536];
static size_t used;

static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(report + used, sizeof report - used, fmt, ap);
  va_end(ap);
  if (n > 0) used += (size_t)n < sizeof report - used ? (size_t)n : sizeof report - used - 1;
}

static void add_status_lines(void) {
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "SigIgn:", 7) || !strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigCgt:", 7)) {
      char *tab = strchr(line, '\t');
      if (tab) *tab = ' ';
      add("%s", line);
    }
  fclose(f);
}

static void add_stdin(void) {
  struct pollfd p = {.fd = 0, .events = POLLIN};
  int r = poll(&p, 1, 0);
  if (r < 0) {
    add("stdin: error %s\n", strerror(errno));
  } else if (r == 0) {
    add("stdin: would-block\n");
  } else {
    char c;
    ssize_t n = read(0, &c, 1);
    if (n == 0) add("stdin: eof\n");
    else if (n < 0) add("stdin: error %s\n", strerror(errno));
    else add("stdin: data\n");
  }
}

static void add_fds(void) {
  /* Read the names first: the directory stream's own fd is not the job's. */
  int fds[1024];
  int count = 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d) return;
  int own = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) && count < 1024) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd != own) fds[count++] = fd;
  }
  closedir(d);
  for (int i = 0; i < count; ++i) {
    char path[64], target[4096];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) continue; /* closed in between */
    target[n] = '\0';
    add("fd: %d %s\n", fds[i], target);
  }
}

int main(int argc, char **argv) {
  const char *out = NULL;
  int first_env = 1;
  if (argc > 2 && !strcmp(argv[1], "-o")) {
    out = argv[2];
    first_env = 3;
  }
  pid_t pid = getpid();
  add("probe-begin %d\n", (int)pid);
  add("pid: %d\nppid: %d\nsid: %d\npgid: %d\n", (int)pid, (int)getppid(), (int)getsid(0), (int)getpgid(0));
  add_status_lines();
  add_fds();
  int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (tty >= 0) {
    add("tty: yes\n");
    close(tty);
  } else {
    add("tty: none (%s)\n", strerror(errno));
  }
  add_stdin();
  char cwd[4096];
  add("cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  for (int i = first_env; i < argc; ++i) {
    const char *v = getenv(argv[i]);
    if (v) add("env: %s=%s\n", argv[i], v);
    else add("env: %s unset\n", argv[i]);
  }
  add("probe-end %d\n", (int)pid);

  if (out) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, report, used) != (ssize_t)used || close(fd) != 0 || rename(tmp, out) != 0) {
      perror("probe: writing the report");
      return 1;
    }
  } else {
    fwrite(report, 1, used, stdout);
    fflush(stdout);
  }
  for (;;) pause();
}
