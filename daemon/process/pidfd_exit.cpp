#include "daemon/process/pidfd_exit.hpp"

#include <sys/ioctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdint>

#ifndef P_PIDFD
#define P_PIDFD 3  // waitid on a pidfd (Linux 5.4); older glibc headers lack the name
#endif

namespace supd::daemon {
namespace {

// include/uapi/linux/pidfd.h of Linux 6.15 (Debian 12's headers predate it): the first
// version of the struct, 64 bytes; the kernel takes any size it knows from the ioctl number.
struct PidfdInfo {
  std::uint64_t mask = 0;
  std::uint64_t cgroupid = 0;
  std::uint32_t pid = 0, tgid = 0, ppid = 0, ruid = 0, rgid = 0, euid = 0, egid = 0, suid = 0, sgid = 0, fsuid = 0,
                fsgid = 0;
  std::int32_t exit_code = 0;  // a wait status, as waitpid gives
};
static_assert(sizeof(PidfdInfo) == 64);
constexpr std::uint64_t kPidfdInfoExit = 1U << 3;                     // PIDFD_INFO_EXIT
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);  // PIDFD_GET_INFO

}  // namespace

PidfdExit pidfd_exit_status(int pidfd) {
  PidfdInfo info;
  info.mask = kPidfdInfoExit;
  if (::ioctl(pidfd, kPidfdGetInfo, &info) != 0) {
    // ESRCH: gone and reaped on a kernel that keeps no exit info. ENOTTY/EINVAL: no such ioctl.
    return {errno == ESRCH || errno == ENOTTY || errno == EINVAL ? PidfdExit::Kind::Unsupported
                                                                  : PidfdExit::Kind::NotYet,
            {}};
  }
  if ((info.mask & kPidfdInfoExit) == 0) return {PidfdExit::Kind::NotYet, {}};  // exited, not reaped yet
  return {PidfdExit::Kind::Known, common::ExitStatus::from_wait(info.exit_code)};
}

std::optional<Reaped> reap_pidfd(int pidfd) {
  siginfo_t info{};
  if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG) != 0 ||
      info.si_pid <= 0)
    return std::nullopt;
  return Reaped{info.si_pid, common::ExitStatus::from_siginfo(info.si_code, info.si_status)};
}

}  // namespace supd::daemon
