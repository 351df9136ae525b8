// `supctl inspect JOB`: supd names the job's main pid (the `pid` request), supctl reads /proc
// itself (same uid) and prints what the lecture looks up by hand: ids, state, command, cwd,
// fds, cpu, memory, start, the signal dispositions decoded, umask and limits, the rest of its
// group, and every process of its own cgroup (what left the group with setsid too).
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/proc_info.hpp"

namespace supd::ctl {

// "label: value" lines, labels aligned; `in_cgroup`: every process of the job's own cgroup. Pure.
std::string render_inspect(const std::string& job, const ProcessInfo& info, const std::vector<GroupMember>& group,
                           const std::vector<GroupMember>& in_cgroup = {});

// The --json document (one object). Pure.
nlohmann::json inspect_json(const std::string& job, const ProcessInfo& info, const std::vector<GroupMember>& group,
                            const std::vector<GroupMember>& in_cgroup = {});

// Reads /proc about `pid` and prints it; the exit code (1 with one stderr line when the
// process is gone by now).
int print_inspect(const std::string& job, pid_t pid, bool json, std::ostream& out, std::ostream& err);

}  // namespace supd::ctl
