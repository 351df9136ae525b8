// The command lines supctl reads without CLI11: a command whose row is `plain` (status, start,
// stop, restart, signal, pid) with its words and its own flags, and --json or --socket PATH
// anywhere. Scripts and benchmarks run these in loops, and building CLI11's app cost more
// than the request (docs/design-decisions.md, "supctl's plain path"). Anything else, every
// mistake included, is left to parse_cli(), so help, messages and exit codes have one source.
#pragma once
#include <optional>
#include <span>
#include <string>

#include "ctl/cli.hpp"

namespace supd::ctl {

// What parse_cli(args) returns, for a plain command line; nullopt for any other (then call
// parse_cli). Throws nothing for a plain line.
std::optional<ParsedCli> parse_plain(std::span<const std::string> args);

}  // namespace supd::ctl
