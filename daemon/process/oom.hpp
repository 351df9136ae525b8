// Best effort: how many processes the OOM killer has killed in supd's cgroup (cgroup v2
// memory.events "oom_kill"), so `why` can blame it for a SIGKILL nobody sent. Jobs share
// supd's cgroup, so a count that grew during a run is a strong hint, not a proof.
#pragma once
#include <optional>

namespace supd::daemon {

std::optional<long> read_oom_kills();  // nullopt: no cgroup v2, or no memory controller

}  // namespace supd::daemon
