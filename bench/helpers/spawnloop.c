/* spawnloop: the least a supervisor can do to start N jobs, each with its output in a file;
 * the spawn row's floor, measured in the same run as supd and the nohup loop.
 *
 *   spawnloop N LOGDIR PROGRAM ARG...
 *
 * For i in 0..N-1: creates LOGDIR/j<i>.out (as any supervisor that captures output must; "-"
 * for none: the bare exec floor) and posix_spawn()s PROGRAM ARG... j<i> in a session of its
 * own, stdout and stderr into that file. No pipe, no pidfd, no cgroup, no record, no event
 * loop: glibc's posix_spawn is the same clone(CLONE_VM|CLONE_VFORK) supd uses. Exits once
 * the last is spawned; the jobs are orphans, reaped by the harness (its subreaper). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: spawnloop N LOGDIR|- PROGRAM ARG...\n");
    return 2;
  }
  const long n = strtol(argv[1], NULL, 10);
  const char *logdir = argv[2];
  const int nargs = argc - 3;
  char **args = calloc((size_t)nargs + 2, sizeof *args);
  char tag[32], path[4096];
  if (args == NULL) return 1;
  memcpy(args, argv + 3, (size_t)nargs * sizeof *args);
  args[nargs] = tag;
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  for (long i = 0; i < n; ++i) {
    snprintf(tag, sizeof tag, "j%ld", i);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int fd = -1;
    if (strcmp(logdir, "-") != 0) {
      snprintf(path, sizeof path, "%s/%s.out", logdir, tag);
      fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      if (fd < 0) {
        perror(path);
        return 1;
      }
      posix_spawn_file_actions_adddup2(&actions, fd, 1);
      posix_spawn_file_actions_adddup2(&actions, fd, 2);
    }
    pid_t pid;
    const int rc = posix_spawn(&pid, args[0], &actions, &attr, args, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (fd >= 0) close(fd);
    if (rc != 0) {
      fprintf(stderr, "spawnloop: %s: %s\n", args[0], strerror(rc));
      return 1;
    }
  }
  return 0;
}
