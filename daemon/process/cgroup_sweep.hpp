// The end of a full stop under systemd: supd.service uses KillMode=process, so that a crashed
// supd's jobs survive it (to be adopted by the supd systemd starts next) -- which also means
// systemd no longer kills what is left in the cgroup when supd stops. supd does that itself,
// once every job has stopped: processes that left their job's process group (a daemon that
// double-forked into a session of its own) are SIGKILLed, as KillMode=mixed would have.
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace supd::daemon {

// SIGKILLs every process in supd's own cgroup but supd, when that cgroup is a service's
// (its name ends in ".service"; never a login session's scope), or supd's leaf in it
// (daemon/process/cgroup.hpp: the jobs' own cgroups are swept there). Returns how many it killed.
std::size_t kill_rest_of_service_cgroup();

}  // namespace supd::daemon
