// `supctl top`: the live view. On a terminal, a full screen (ncurses) that asks each supd for
// status and stats every second and at once when its event stream says something happened;
// keys send the same requests as the commands. With --once, or not on a terminal, one
// snapshot as text (`top -b -n 1`). With several --host, one section per host.
#pragma once

namespace supd::ctl {

struct Session;  // ctl/session.hpp

// The row's hook: the exit code (a host that cannot be reached: 3, as status).
int run_top(Session& session);

}  // namespace supd::ctl
