#include "daemon/continuity/adoption.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "common/protocol.hpp"
#include "daemon/process/pidfd_exit.hpp"
#include "common/sys_error.hpp"
#include "daemon/output/log_dir.hpp"
#include "daemon/process/cgroup.hpp"

namespace supd::daemon {
namespace {

using common::UniqueFd;
namespace fs = std::filesystem;

constexpr auto kGroupPoll = std::chrono::milliseconds(100);
// Without pidfds, how often /proc is read to learn that an adopted process exited.
constexpr auto kExitPoll = std::chrono::seconds(1);

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

std::int64_t wall_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The wall-clock moment a steady-clock instant stands for (for records), and back (uptime).
std::int64_t to_wall_ms(TimePoint t, TimePoint now) {
  return wall_ms_now() - std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count();
}
TimePoint from_wall_ms(std::int64_t ms, TimePoint now) {
  const auto age = std::chrono::milliseconds(std::max<std::int64_t>(0, wall_ms_now() - ms));
  return now - std::chrono::duration_cast<Clock::duration>(age);
}

bool has_exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// Without a pidfd: is `pid` still the process that started at `starttime`, and not a zombie?
// A zombie child of ours counts as running: SIGCHLD brings its real status.
bool still_running(pid_t pid, std::uint64_t starttime) {
  const auto stat = read_proc_stat_line(pid);
  if (!stat || parse_stat_starttime(*stat) != starttime) return false;
  const auto st = parse_stat_state(*stat);
  if (!st) return false;
  if (st->state != 'Z' && st->state != 'X') return true;
  return st->ppid == ::getpid();
}

std::string join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

std::size_t kill_unowned_leftovers(const Cgroups& cgroups, const Supervisor& sup) {
  std::size_t killed = 0;
  for (const auto& job : sup.jobs()) {
    if (job.rt.main_alive || !cgroups.populated(job.spec.name)) continue;
    const auto pids = cgroups.pids(job.spec.name);
    cgroups.kill_all(job.spec.name);
    killed += pids.size();
    spdlog::warn("job {}: killed {} process(es) left in its cgroup by a previous supd's run ({}); starting it "
                 "as configured",
                 job.spec.name, pids.size(), fmt::join(pids, " "));
  }
  return killed;
}

fs::path records_dir_for(const fs::path& socket) { return fs::path(socket.string() + ".jobs"); }

std::optional<std::uint64_t> process_starttime(pid_t pid) {
  const auto stat = read_proc_stat_line(pid);
  if (!stat) return std::nullopt;
  return parse_stat_starttime(*stat);
}

// ---- Adoption ------------------------------------------------------------------------------

Adoption::Adoption(asio::io_context& io, Supervisor& sup, EventHub& hub, fs::path records_dir)
    : io_(io), sup_(sup), store_(std::move(records_dir)), hub_(hub), group_poll_(io),
      exit_poll_(io) {
  store_.create_dir();
}

Adoption::~Adoption() {
  std::error_code ignored;
  for (auto& [name, watch] : watches_) watch->close(ignored);
  group_poll_.cancel();
  exit_poll_.cancel();
}

std::size_t Adoption::adopt_from_records(TimePoint now) {
  std::size_t adopted = 0;
  for (const auto& record : store_.load_all()) {
    const Job* job = sup_.find(record.name);
    if (job == nullptr) {
      // Not ours to stop (its stop settings are gone with its config entry) nor to forget:
      // left running, and its record kept for a supd whose config names it again.
      if (process_starttime(record.pid) == record.starttime)
        spdlog::warn("job {} (pid {}) was started by a previous supd but is not in the config; left running "
                     "(stop it with: kill -TERM -{}, or add it back to the config)",
                     record.name, record.pid, record.pgid);
      else
        store_.remove(record.name);
      continue;
    }
    if (adopt(*job, record, now)) {
      ++adopted;
    } else {
      store_.remove(record.name);
    }
  }
  if (adopted > 0) spdlog::info("adopted {} job(s) left running by a previous supd", adopted);
  return adopted;
}

bool Adoption::adopt(const Job& job, const JobRecord& r, TimePoint now) {
  // pidfd first, start time second: a match means the pidfd names the very process that was
  // started (a PID recycled before or after the pidfd_open has another start time).
  const int fd = pidfd_open(r.pid);
  // No pidfds here (ENOSYS: Linux before 5.3, or a seccomp filter): the start time alone says
  // whether the pid is still the very process, and /proc is polled for its exit.
  const bool no_pidfds = fd < 0 && errno != ESRCH;
  UniqueFd pidfd(fd);
  const auto starttime = process_starttime(r.pid);
  if (!pidfd && (!no_pidfds || !starttime)) {
    spdlog::info("job {}: pid {} of a previous supd is gone; starting it as configured", r.name, r.pid);
    return false;
  }
  if (starttime != r.starttime) {
    spdlog::warn("job {}: pid {} now belongs to another process; not adopted, starting the job as configured",
                 r.name, r.pid);
    return false;
  }
  if (pidfd ? has_exited(pidfd.get()) : !still_running(r.pid, r.starttime)) {
    spdlog::info("job {}: pid {} of a previous supd has exited; starting it as configured", r.name, r.pid);
    return false;
  }
  if (r.argv != job.spec.argv)
    spdlog::warn("job {}: adopted pid {} runs '{}', the config now says '{}'; restart it to apply: supctl restart {}",
                 r.name, r.pid, join(r.argv), join(job.spec.argv), r.name);
  sup_.adopt(job, {r.pid, r.pgid, std::move(pidfd), r.spawns, from_wall_ms(r.spawned_at_ms, now)}, now);
  written_[job.spec.name] = {r.pid};
  adopted_.insert(job.spec.name);
  if (no_pidfds) {
    polled_[job.spec.name] = {r.pid, r.starttime};
    poll_exits_soon();
  } else {
    watch_exit(job, r.starttime);
  }
  spdlog::info("job {}: adopted pid {} (up {:.0f}s, {} restart(s)) from a previous supd{}", r.name, r.pid,
               std::chrono::duration<double>(now - job.process.started_at).count(), job.restarts(),
               no_pidfds ? " (no pidfds on this kernel: its exit is looked for in /proc every second)" : "");
  return true;
}

void Adoption::watch_exit(const Job& job, std::uint64_t starttime) {
  const int fd = ::fcntl(job.process.pidfd.get(), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) {
    spdlog::error("job {}: cannot watch pid {}: {}", job.spec.name, job.process.pid, common::errno_message(errno));
    return;
  }
  auto watch = std::make_shared<asio::posix::stream_descriptor>(io_, fd);
  watches_[job.spec.name] = watch;
  const std::string name = job.spec.name;
  const pid_t pid = job.process.pid;
  watch->async_wait(asio::posix::stream_descriptor::wait_read, [this, watch, name, pid, starttime](std::error_code ec) {
    if (ec) return;  // cancelled: supd is exiting
    std::error_code ignored;
    auto it = watches_.find(name);
    if (it != watches_.end() && it->second == watch) watches_.erase(it);
    const Job* current = sup_.find(name);
    if (current == nullptr || !current->rt.main_alive || current->process.pid != pid) {
      watch->close(ignored);
      return;  // already reaped as our child
    }
    // A child of ours after all (after an upgrade) gives its real status; any other process
    // is reaped by its own parent, and its pidfd tells its status once it is (Linux 6.15+).
    if (const auto reaped = reap_pidfd(watch->native_handle()); reaped && reaped->pid == pid) {
      watch->close(ignored);
      hub_.process_exited(pid, reaped->status);
      return;
    }
    report_exit(watch, pid, starttime, 0);
  });
}

namespace {

// A zombie's wait status from /proc/PID/stat, while its parent has not reaped it (the pid
// cannot be reused before): the same process if its start time is the recorded one.
std::optional<common::ExitStatus> zombie_status(pid_t pid, std::uint64_t starttime) {
  const auto line = read_proc_stat_line(pid);
  if (!line || parse_stat_starttime(*line) != starttime) return std::nullopt;
  const auto state = parse_stat_state(*line);
  const auto code = parse_stat_exit_code(*line);
  if (!state || state->state != 'Z' || !code) return std::nullopt;
  return common::ExitStatus::from_wait(*code);
}

}  // namespace

void Adoption::report_exit(std::shared_ptr<asio::posix::stream_descriptor> watch, pid_t pid, std::uint64_t starttime,
                           int tries) {
  // Reaped already: the pidfd tells (Linux 6.15+). Not yet: /proc tells, as long as it is a zombie.
  auto r = pidfd_exit_status(watch->native_handle());
  if (r.kind != PidfdExit::Kind::Known) {
    if (const auto z = zombie_status(pid, starttime)) r = {PidfdExit::Kind::Known, *z};
    else if (r.kind == PidfdExit::Kind::NotYet) r = pidfd_exit_status(watch->native_handle());  // reaped meanwhile
  }
  if (r.kind == PidfdExit::Kind::NotYet && tries < kExitInfoTries) {  // neither yet: ask again shortly
    auto timer = std::make_shared<asio::steady_timer>(io_, kExitInfoRetry);
    timer->async_wait([this, watch, pid, starttime, tries, timer](std::error_code ec) {
      if (!ec) report_exit(watch, pid, starttime, tries + 1);
    });
    return;
  }
  std::error_code ignored;
  watch->close(ignored);
  hub_.process_exited(pid, r.kind == PidfdExit::Kind::Known ? r.status : common::ExitStatus::unknown_adopted());
}

void Adoption::reattach(std::vector<HeldPipe> pipes, OutputSink& output) {
  for (auto& held : pipes) {
    std::string error;
    UniqueFd file = open_log_path(sup_.log_dir(), held.log_path, error);
    if (!file) {
      spdlog::error("job {}: {}; the output its pipe holds cannot be written", held.job, error);
      continue;
    }
    const Job* job = sup_.find(held.job);
    CaptureStream stream{std::move(held.fd), std::move(file), held.log_path, job ? job->spec.log_max_size : 0,
                         job ? job->spec.log_keep : 0, job ? job->spec.timestamps : config::Timestamps::Index, /*new_run=*/false};
    std::vector<CaptureStream> streams;
    streams.push_back(std::move(stream));
    output.attach(held.job, std::move(streams));
  }
}

void Adoption::sync(TimePoint now) {
  // Only the jobs whose process changed since the last event: the cost of an event does not
  // grow with the number of jobs.
  for (const auto& name : sup_.take_process_changes()) {
    const Job* job = sup_.find(name);
    auto it = written_.find(name);
    if (job == nullptr || job->process.pgid == 0) {  // no process group left: nothing for a later supd to find
      if (it != written_.end()) {
        store_.remove(name);
        written_.erase(it);
      }
      adopted_.erase(name);
      continue;
    }
    if (job->rt.main_alive && job->process.pid > 0 && (it == written_.end() || it->second.pid != job->process.pid)) {
      adopted_.erase(name);  // a process we spawned: a child, reaped through SIGCHLD
      const auto starttime = process_starttime(job->process.pid);
      if (!starttime) continue;  // gone already; its exit is on the way
      JobRecord r{name, job->process.pid, job->process.pgid, *starttime, to_wall_ms(job->process.started_at, now),
                  job->life.spawns, job->spec.argv};
      if (store_.write(r)) written_[name] = {job->process.pid};
    }
    if (!job->rt.main_alive && adopted_.count(name) != 0) adopted_lingering_.insert(name);
  }
  // An adopted group's other members are not our descendants: no SIGCHLD tells us they are
  // gone, so look now and then while a stop or a restart waits on them.
  bool poll = false;
  for (auto it = adopted_lingering_.begin(); it != adopted_lingering_.end();) {
    const Job* job = sup_.find(*it);
    if (job == nullptr || job->rt.main_alive || job->process.pgid == 0 || adopted_.count(*it) == 0) {
      it = adopted_lingering_.erase(it);
    } else {
      poll = true;
      ++it;
    }
  }
  if (sup_.shutdown_complete()) {  // the loop ends now: no wait of ours may keep it running
    std::error_code ignored;
    for (auto& [name, watch] : watches_) watch->close(ignored);
    watches_.clear();
    group_poll_.cancel();
    polled_.clear();
    exit_poll_.cancel();
    return;
  }
  if (poll) poll_groups_soon();
}

void Adoption::poll_exits_soon() {
  if (exit_polling_ || polled_.empty()) return;
  exit_polling_ = true;
  exit_poll_.expires_after(kExitPoll);
  exit_poll_.async_wait([this](std::error_code ec) {
    exit_polling_ = false;
    if (ec) return;
    std::vector<pid_t> gone;  // reported after the walk: the report may change polled_
    for (auto it = polled_.begin(); it != polled_.end();) {
      const Job* job = sup_.find(it->first);
      const auto [pid, starttime] = it->second;
      if (job == nullptr || !job->rt.main_alive || job->process.pid != pid) {
        it = polled_.erase(it);  // reaped as our child, or replaced
      } else if (!still_running(pid, starttime)) {
        it = polled_.erase(it);
        gone.push_back(pid);
      } else {
        ++it;
      }
    }
    for (const pid_t pid : gone) hub_.process_exited(pid, common::ExitStatus::unknown_adopted());
    poll_exits_soon();
  });
}

void Adoption::poll_groups_soon() {
  if (polling_) return;
  polling_ = true;
  group_poll_.expires_after(kGroupPoll);
  group_poll_.async_wait([this](std::error_code ec) {
    polling_ = false;
    if (ec) return;
    hub_.groups_may_have_emptied();
  });
}

}  // namespace supd::daemon
