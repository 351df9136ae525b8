// `supctl signal JOB SIG --expect REGEX`: send the signal, then wait until a NEW line of the
// job's output matches (exit 0, the line printed), the job exits first (1), or the timeout
// passes (4). Client side only: a second connection follows the job's log (`logs -n 0 -f`,
// whose first answer comes once the follower is registered) before the signal goes out, and
// `status` is polled on the first connection to notice the job exiting.
#pragma once
#include <ostream>

#include "ctl/cli.hpp"
#include "ctl/client.hpp"

namespace supd::ctl {

// `main` is connected and greeted; `socket` is where to open the follower; `connect` and
// `request` bound reaching supd and each answer; the wait for a match is --timeout (10s by
// default, 0 = none). ClientFailure escapes to the caller, like every other command's.
int run_signal_expect(Client& main, const ParsedCli& cli, Timeout connect, Timeout request, std::ostream& out,
                      std::ostream& err);

}  // namespace supd::ctl
