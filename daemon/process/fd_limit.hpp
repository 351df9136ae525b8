// supd's RLIMIT_NOFILE: its own soft limit raised to the hard limit (1000 jobs hold thousands
// of fds), while every job gets back the soft limit supd was started with, across upgrades too.
#pragma once
#include <optional>

#include <sys/resource.h>

namespace supd::daemon {

// Remembers the soft limit supd started with (or `original`, the one the supd before an
// upgrade started with) and raises the soft limit to the hard one.
void raise_fd_limit(std::optional<rlim_t> original);

// The soft limit supd started with, for the next supd after an upgrade.
std::optional<rlim_t> original_fd_soft_limit();

// What a job's RLIMIT_NOFILE must be set to before exec; nullopt when supd's own limit is
// still the one it started with.
std::optional<rlimit> fd_limit_for_jobs();

}  // namespace supd::daemon
