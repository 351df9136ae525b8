// Runs one parsed supctl command against supd: its row's run hook (ctl/session.hpp), or the
// request and its printed answer, and returns the exit code (ctl/exit_codes.hpp).
#pragma once
#include <ostream>

#include "common/paths.hpp"
#include "ctl/cli.hpp"
#include "ctl/session.hpp"

namespace supd::ctl {

// With several hosts (--host, $SUPCTL_HOST) it fans out (ctl/fanout.hpp); with one, the
// session reaches that host's supd over ssh and prints as it would locally.
int run(const ParsedCli& cli, std::ostream& out, std::ostream& err,
        const common::Getenv& env = common::system_getenv);

}  // namespace supd::ctl
