// `supd --detach`: leave the terminal the way `nohup ... &` would, and let the launching shell
// return only once the daemon answers (or print why it could not start).
#pragma once
#include <filesystem>
#include <string_view>

#include "common/fd.hpp"

namespace supd::daemon {

// In the caller: forks twice. The original process waits for the daemon's word on a pipe and
// exits (0 when ready, 1 with the daemon's one-line error); only the daemon returns, in its
// own session, with stdin from /dev/null and stdout/stderr appended to `log_file`.
// Returns the write end on which the daemon reports readiness.
common::UniqueFd detach(const std::filesystem::path& log_file);

// Daemon side: report "ready", or one error line, to the waiting launcher (no-op if fd < 0).
void report_ready(common::UniqueFd& fd);
void report_failure(common::UniqueFd& fd, std::string_view message);

}  // namespace supd::daemon
