// The exit status of any process we hold a pidfd of, child or not: Linux 6.15's PIDFD_GET_INFO
// with PIDFD_INFO_EXIT. What lets an adopted job (not supd's child after a kill -9 of supd)
// say "exited 3" rather than "status unknown".
#pragma once
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

}  // namespace supd::daemon
