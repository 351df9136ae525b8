// `stats`: each job's processes' CPU, memory and count, from one pass over /proc made when
// asked; the rows go out in frames as the client reads them (status's way).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "common/fd.hpp"
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/process/proc_stats.hpp"

namespace supd::daemon {
namespace {

// Every process now, by process group and by pid.
struct Census {
  std::unordered_map<pid_t, std::vector<ProcStat>> by_group;
  std::unordered_map<pid_t, ProcStat> by_pid;
};

Census take_census() {
  Census c;
  for (const auto& s : read_all_proc_stats()) {
    c.by_group[s.pgid].push_back(s);
    c.by_pid.emplace(s.pid, s);
  }
  return c;
}

protocol::JobStats stats_of(const Job& job, const Census& census, Supervisor& sup, StatsSampler& sampler,
                            TimePoint now) {
  static const double ticks_per_s = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  protocol::JobStats row;
  row.name = job.spec.name;
  row.state = std::string(to_string(job.rt.state));
  if (job.rt.main_alive) row.pid = job.process.pid;
  if (job.process.pgid <= 0) return row;
  // Its process group, and its cgroup's members that left the group (setsid).
  std::unordered_set<pid_t> counted;
  std::uint64_t ticks = 0, pages = 0;
  const auto add = [&](const ProcStat& s) {
    if (!counted.insert(s.pid).second) return;
    ticks += s.cpu_ticks;
    pages += s.rss_pages;
  };
  if (const auto group = census.by_group.find(job.process.pgid); group != census.by_group.end())
    for (const auto& s : group->second) add(s);
  for (const pid_t pid : sup.process_ops().cgroup_pids(job.spec.name))
    if (const auto s = census.by_pid.find(pid); s != census.by_pid.end()) add(s->second);
  row.processes = static_cast<int>(counted.size());
  row.cpu_s = static_cast<double>(ticks) / ticks_per_s;
  row.rss_bytes = pages * page;
  if (row.processes > 0)
    if (const auto pct = sampler.cpu_percent(job.spec.name, job.process.pgid, row.cpu_s, job.process.started_at, now)) {
      row.cpu_pct = pct->pct;
      row.cpu_window_s = pct->window_s;
    }
  return row;
}

// The last line of the job's live stdout file (a partial one included), at most kLastLineBytes:
// an open and one pread each, no listing of the rotated files, because `top` asks for every job
// every second. Right after a rotation the live file is empty, and so is the line, until the job
// writes again. O_NOFOLLOW: the log dir is never read through a link (TESTPLAN R74).
std::string last_line_of(const Job& job, Supervisor& sup) {
  constexpr std::size_t kLastLineBytes = 512;  // wider than any terminal row
  const auto path = sup.log_dir() / job.spec.stdout_file;
  const common::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  const auto want = static_cast<std::size_t>(std::min<off_t>(st.st_size, 4 * kLastLineBytes));
  std::string tail(want, '\0');
  const ssize_t got = ::pread(fd.get(), tail.data(), want, st.st_size - static_cast<off_t>(want));
  tail.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  if (const auto nl = tail.rfind('\n'); nl != std::string::npos) tail.erase(0, nl + 1);
  if (tail.size() > kLastLineBytes) {
    std::size_t cut = kLastLineBytes;
    while (cut > 0 && (static_cast<unsigned char>(tail[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    tail.resize(cut);
  }
  return tail;
}

}  // namespace

protocol::Response serve(const protocol::Stats& command, Call& call) {
  std::vector<const Job*> jobs;
  if (auto err = call.handlers.resolve(command.jobs, true, jobs)) return {call.id, *err};
  auto& sampler = call.handlers.stats_sampler();
  sampler.forget_before(call.now - std::chrono::seconds(30));
  const Census census = take_census();
  auto rows = std::make_shared<std::vector<nlohmann::json>>();
  rows->reserve(jobs.size());
  for (const Job* job : jobs) {
    auto row = stats_of(*job, census, call.sup, sampler, call.now);
    if (command.last_line) row.last_line = last_line_of(*job, call.sup);
    rows->push_back(row.to_json());
  }
  const protocol::SupdStats self{static_cast<int>(::getpid()),
                                 std::chrono::duration<double>(call.now - call.handlers.started_at()).count()};
  auto frames = std::make_shared<protocol::FrameBuilder>(call.id, "jobs", nlohmann::json{{"supd", self.to_json()}});
  call.reply.stream([rows, frames, at = std::size_t{0}](bool& last) mutable {
    while (at < rows->size())
      if (auto frame = frames->add(std::move((*rows)[at++]))) {
        last = false;
        return std::move(*frame);
      }
    last = true;
    return frames->finish();
  });
  return defer(call);
}

}  // namespace supd::daemon
