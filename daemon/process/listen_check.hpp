// `ready = "listen"`: whether a job's processes listen yet, read from /proc, so a server counts as
// running once it accepts connections, with nothing to add to its code. A process is the job's
// when it is in the job's process group (its grandchildren too); a socket is listening when the
// network namespace of the process that holds it lists its inode as a TCP listener (v4 or v6) or
// as a Unix stream socket accepting connections.
#pragma once
#include <sys/types.h>

#include <filesystem>

namespace supd::daemon {

// True when any process whose process group is `pgid` has a listening TCP (v4 or v6) socket or a
// listening Unix stream socket. `proc` is the procfs root (tests may pass another). Processes that
// vanish or cannot be read meanwhile are skipped; it stops at the first listening socket found.
// The work grows with the number of processes on the machine (every /proc/PID/stat is read).
bool group_listens(pid_t pgid, const std::filesystem::path& proc = "/proc");

}  // namespace supd::daemon
