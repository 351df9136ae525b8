// Runs one parsed supctl command against supd: connect, hello, the request, then print the
// result or the one error line, and return the exit code (ctl/exit_codes.hpp).
#pragma once
#include <ostream>

#include "common/paths.hpp"
#include "ctl/cli.hpp"
#include "ctl/client.hpp"

namespace supd::ctl {

// How long connect+hello may take, and how long the request may take: --timeout when given
// (0 = no limit), else 10s, except that commands waiting for jobs to settle (start, stop,
// restart without --no-wait, shutdown) have no limit by default.
struct Limits {
  Timeout connect;
  Timeout request;
};
Limits limits_for(const GlobalOptions& options, const protocol::Command& command);

int run(const ParsedCli& cli, std::ostream& out, std::ostream& err,
        const common::Getenv& env = common::system_getenv);

}  // namespace supd::ctl
