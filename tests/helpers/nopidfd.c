/* nopidfd: runs a program as if the kernel had no pidfds (Linux before 5.3).
 *
 *   nopidfd PROGRAM [ARG...]
 *
 * Installs a seccomp filter (raw BPF, no libseccomp) under which pidfd_open,
 * pidfd_send_signal, pidfd_getfd and clone3 fail with ENOSYS, and clone with
 * CLONE_PIDFD too, then execs PROGRAM. The filter is inherited by every
 * descendant (glibc falls back from clone3 to clone on ENOSYS, as on old
 * kernels). Exits 127 with a message when it cannot set the filter up. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "nopidfd: add this architecture's AUDIT_ARCH_ value"
#endif

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

#define DENY SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)
#define NR(name) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_##name, 0, 1), BPF_STMT(BPF_RET | BPF_K, DENY)

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: nopidfd PROGRAM [ARG...]\n");
    return 2;
  }
  struct sock_filter filter[] = {
      /* Another ABI (x32, i386 on x86_64) has other numbers: let it through untouched. */
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      NR(pidfd_open),
      NR(pidfd_send_signal),
      NR(pidfd_getfd),
      NR(clone3),
      /* clone(flags, ...): CLONE_PIDFD in the low word of flags asks for a pidfd. */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_PIDFD, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, DENY),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {(unsigned short)(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    fprintf(stderr, "nopidfd: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
    return 127;
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    fprintf(stderr, "nopidfd: seccomp: %s\n", strerror(errno));
    return 127;
  }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "nopidfd: exec %s: %s\n", argv[1], strerror(errno));
  return 127;
}
