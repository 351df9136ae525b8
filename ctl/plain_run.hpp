// Runs a plain command line (ctl/plain_cli.hpp) as run() runs it, printing with write(2)
// instead of iostreams: no stream is built, so neither is the locale the first one builds,
// which cost more than the request (docs/design-decisions.md, "supctl's plain path").
#pragma once
#include "common/paths.hpp"
#include "ctl/cli.hpp"

namespace supd::ctl {

// Whether run_plain() does what run() would for this parsed line: no --host and no
// $SUPCTL_HOST (those go over ssh), and the row's work is one request and its printed answer.
bool runs_plain(const ParsedCli& cli, const common::Getenv& env = common::system_getenv);

// Connects, sends the request behind the hello, prints the answer on `out_fd` or the one
// error line on `err_fd`; returns the exit code. Throws nothing on the way to an answer.
int run_plain(const ParsedCli& cli, int out_fd, int err_fd, const common::Getenv& env = common::system_getenv);

}  // namespace supd::ctl
