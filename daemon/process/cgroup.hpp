// Each job in its own cgroup (v2) below supd's, where supd may write a subtree: as root, or as a
// systemd user service with Delegate=yes. supd moves itself into a leaf of its subtree ("supd")
// before it enables controllers for the jobs' cgroups (a cgroup with processes cannot hand
// controllers down), and each job's cgroup is "<job>.job" beside that leaf. A stop is done when
// the job's cgroup is empty, its SIGKILL reaches every process in it (cgroup.kill), and
// memory_max, memory_high, cpu_max and pids_max are written where their controller is there.
// Every path hangs off a root, so the unit tests run it against a directory of plain files.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "common/fd.hpp"
#include "config/job_spec.hpp"

namespace supd::daemon {

// ---- pure: cgroupfs's texts and names

// The v2 path in /proc/self/cgroup's text ("0::/user.slice/…"), or "" when there is none.
std::string own_cgroup_path(std::string_view proc_self_cgroup);
// Where this supd's subtree is, from its own cgroup: a systemd unit's cgroup (Delegate=yes) as
// it is, else "supd-KEY" below it; a supd already in its leaf (after an upgrade) keeps its subtree.
std::string base_for(std::string_view own, std::string_view key);
// A short stable name for a log dir, so two supds never share a subtree and a restarted one
// finds its jobs' cgroups again.
std::string cgroup_key(const std::filesystem::path& log_dir);
std::string job_cgroup_name(std::string_view job);  // "web@2.job"
bool parse_populated(std::string_view cgroup_events);
struct MemoryEvents {
  long high = 0, max = 0, oom = 0, oom_kill = 0;
};
std::optional<MemoryEvents> parse_memory_events(std::string_view text);
std::vector<std::string> parse_words(std::string_view text);  // cgroup.controllers, subtree_control
// The values cgroupfs takes: "max" or bytes; "max 100000" or "50000 100000" for 50%.
std::string memory_value(std::optional<std::uint64_t> bytes);
std::string cpu_max_value(std::optional<double> percent);
std::string pids_value(std::optional<long> count);

// ---- the live part

class Cgroups {
public:
  // root: the v2 mount; base: supd's subtree below it ("/supd-1a2b…" or "/…/supd.service");
  // controllers: those of cpu, memory and pids its cgroup.controllers offers.
  Cgroups(std::filesystem::path root, std::string base, std::vector<std::string> controllers);

  // Finds the v2 mount and supd's cgroup, makes the subtree, moves supd into its leaf (before
  // any controller is enabled for the jobs), and notes which of cpu, memory and pids are
  // offered. nullopt, with `why`, when no subtree is writable here.
  static std::optional<Cgroups> set_up(std::string_view key, std::string& why);
  // The same against a given root and own path (the unit tests' directory).
  static std::optional<Cgroups> set_up_at(const std::filesystem::path& root, std::string_view own,
                                          std::string_view key, std::string& why);

  const std::string& base() const { return base_; }
  std::filesystem::path path_of(std::string_view job) const;

  // Makes the job's cgroup (or keeps it), writes its limits, and opens its cgroup.procs for the
  // child to move itself in. A limit whose controller is missing goes into `missing` with why.
  common::UniqueFd prepare(std::string_view job, const config::CgroupLimits& limits,
                           std::vector<std::string>& missing, std::string& error) const;
  bool populated(std::string_view job) const;  // false also when it does not exist
  std::vector<pid_t> pids(std::string_view job) const;
  // SIGKILL to every process in it: cgroup.kill, or each pid where the kernel has no cgroup.kill.
  std::size_t kill_all(std::string_view job) const;
  std::optional<MemoryEvents> memory_events(std::string_view job) const;
  // At supd's full stop: what is left in every job's cgroup killed (bounded wait until empty).
  void kill_all_jobs() const;
  // When supd exits, however: the empty job cgroups removed and, when no job is left in a
  // subtree of supd's own making, supd steps back to where it started and removes it.
  void release() const;

private:
  bool has(std::string_view controller) const;  // offered, and enabled now if it was not yet
  std::filesystem::path root_;
  std::string base_;
  std::vector<std::string> controllers_;        // offered to supd's subtree (of cpu, memory, pids)
  mutable std::vector<std::string> enabled_;    // enabled for the jobs, at the first limit that needs one
};

// Releases supd's cgroups when it goes out of scope: at every exit, a refused start-up included.
class CgroupRelease {
public:
  explicit CgroupRelease(const Cgroups* cgroups) : cgroups_(cgroups) {}
  ~CgroupRelease() {
    if (cgroups_ != nullptr) cgroups_->release();
  }
  CgroupRelease(const CgroupRelease&) = delete;
  CgroupRelease& operator=(const CgroupRelease&) = delete;

private:
  const Cgroups* cgroups_;
};

}  // namespace supd::daemon
