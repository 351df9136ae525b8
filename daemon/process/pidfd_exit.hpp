// Exit statuses by pidfd. Of any process we hold a pidfd of, child or not: Linux 6.15's
// PIDFD_GET_INFO with PIDFD_INFO_EXIT, what lets an adopted job (not supd's child after a
// kill -9 of supd) say "exited 3" rather than "status unknown". Of supd's own child: the reap.
#pragma once
#include <sys/types.h>

#include <optional>

#include "common/exit_status.hpp"

namespace supd::daemon {

struct PidfdExit {
  enum class Kind { Known, NotYet, Unsupported } kind = Kind::Unsupported;
  common::ExitStatus status;  // when Known
};

// Known once the process has exited and its parent has reaped it (the kernel records the
// status at the reap); NotYet before; Unsupported on kernels without PIDFD_INFO_EXIT.
PidfdExit pidfd_exit_status(int pidfd);

struct Reaped {
  pid_t pid;
  common::ExitStatus status;
};

// Reaps the child `pidfd` names if it has exited: waitid(P_PIDFD, WNOHANG). Nothing when it
// runs on, is not supd's child, or `pidfd` is no pidfd (so a number reused since reaps nothing).
std::optional<Reaped> reap_pidfd(int pidfd);

}  // namespace supd::daemon
