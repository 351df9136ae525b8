// `supctl logs A B [-f]` and `supctl logs all [-f]`: several jobs' logs as one, each line after
// its job's name (ctl/log_merge.hpp). The history comes merged by the time supd saw each
// line; with -f, one `logs -f` connection per log, and each new line printed as it arrives.
#pragma once
#include "ctl/cli.hpp"

namespace supd::ctl {

struct Session;  // ctl/session.hpp

// Whether the command line asks for the merged view: more than one job, or `all`.
bool wants_merged_logs(const ParsedCli& cli);

// The most logs one `logs -f` follows at once: a connection each, and supd lets one user
// hold 128 (daemon/control/control_server.hpp).
inline constexpr std::size_t kMaxFollowedLogs = 64;

// Prints the merged logs; the exit code. Throws ClientFailure.
int run_merged_logs(Session& session);

}  // namespace supd::ctl
