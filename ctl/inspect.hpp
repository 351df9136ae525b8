// `supctl inspect JOB`: supd names the job's main pid (the `pid` request), supctl reads /proc
// itself (same uid) and prints what the lecture looks up by hand: ids, state, command, cwd,
// fds, cpu, memory, start, the signal dispositions decoded, and the rest of its group.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/proc_info.hpp"

namespace supd::ctl {

// "label: value" lines, labels aligned. Pure.
std::string render_inspect(const std::string& job, const ProcessInfo& info, const std::vector<GroupMember>& group);

// The --json document (one object). Pure.
nlohmann::json inspect_json(const std::string& job, const ProcessInfo& info, const std::vector<GroupMember>& group);

// Reads /proc about `pid` and prints it; the exit code (1 with one stderr line when the
// process is gone by now).
int print_inspect(const std::string& job, pid_t pid, bool json, std::ostream& out, std::ostream& err);

}  // namespace supd::ctl
