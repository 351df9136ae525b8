// The job state machine: a pure function (runtime, spec, event, now) -> (runtime, actions).
// No syscalls and no clock: the supervisor feeds events in and carries the actions out, and
// the tests drive it with a fake clock that is just a value.
//
//   stopped --start--> starting --start_secs--> running --exit--> (restart: starting | exited)
//   starting --early exit/retriable spawn error--> backoff --deadline--> starting
//   starting --too many early exits / exec error--> fatal
//   starting --exit under restart = never--> exited
//   backoff --stop--> stopped;  exited|fatal --start--> starting, --stop--> stopped
//   fatal --fatal_retry_after deadline--> starting (one failed start: fatal again)
//   starting|running --stop--> stopping --group empty--> stopped (or starting, when wanted up)
//   starting (its spawn queued at start-up, no process yet) --stop--> stopped
//   stopping --stop_timeout--> SIGKILL to the group
//   stopped --adopted--> running (starting while still inside start_secs)
//   stopped --restored--> exited | fatal | stopped (what the supd before an upgrade had)
//   stopped|exited|fatal|backoff --wait--> waiting --start (dependencies hold)--> starting
//   waiting --stop--> stopped (the supervisor decides when dependencies hold: dependencies.hpp)
//   ready = "listen": starting polls (a deadline every kListenPoll) until a process listens
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/exit_status.hpp"
#include "config/job_spec.hpp"
#include "daemon/core/clock.hpp"

namespace supd::daemon {

enum class JobState : std::uint8_t { Stopped, Starting, Running, Backoff, Stopping, Exited, Fatal, Waiting };
std::string_view to_string(JobState state);  // lower case, as on the wire

// ---- events ----
struct StartRequested { bool operator==(const StartRequested&) const = default; };
struct StopRequested { bool operator==(const StopRequested&) const = default; };
struct RestartRequested { bool operator==(const RestartRequested&) const = default; };
struct Spawned { bool operator==(const Spawned&) const = default; };  // exec succeeded
struct SpawnFailed {
  std::string message;     // "exec amsa.py: No such file or directory"
  bool permanent = true;   // exec/chdir/open errors will not fix themselves; fork/EMFILE may
  bool operator==(const SpawnFailed&) const = default;
};
struct ProcessExited {  // the main process was reaped (its output already drained)
  common::ExitStatus status;
  bool group_empty = true;  // nothing else left in its process group
  bool operator==(const ProcessExited&) const = default;
};
struct GroupEmptied { bool operator==(const GroupEmptied&) const = default; };  // last group member reaped
struct DeadlineReached { bool operator==(const DeadlineReached&) const = default; };
// READY=1 on the job's NOTIFY_SOCKET, from one of its processes (checked by the sender); or,
// with ready = "listen", one of its processes listens.
struct ReadyNotified { bool operator==(const ReadyNotified&) const = default; };
// A start was asked for, but what the job depends on does not hold yet: it waits, saying for what.
struct WaitRequested {
  std::string reason;  // "waiting for db to be healthy"
  bool operator==(const WaitRequested&) const = default;
};

// At start-up, from what a previous supd left (daemon/continuity/): the job's process is alive
// and becomes its main process again, exec'ed at `spawned_at`.
struct Adopted {
  TimePoint spawned_at{};
  bool operator==(const Adopted&) const = default;
};
// At start-up after `supctl upgrade`: a job with no process comes back in the idle state it
// had (exited, fatal, stopped), with the reason it had.
struct Restored {
  JobState state = JobState::Stopped;
  std::string reason;
  bool operator==(const Restored&) const = default;
};

using JobEvent = std::variant<StartRequested, StopRequested, RestartRequested, Spawned, SpawnFailed,
                              ProcessExited, GroupEmptied, DeadlineReached, ReadyNotified, Adopted, Restored,
                              WaitRequested>;

// ---- actions: data, not calls ----
struct SpawnProcess { bool operator==(const SpawnProcess&) const = default; };
struct SendSignal {
  int signo = 0;
  bool group = true;  // to the whole process group
  bool operator==(const SendSignal&) const = default;
};
// After an unexpected exit of the main process: SIGKILL whatever is left in its group, so a
// restarted job never runs beside leftovers of the previous instance.
struct KillLeftovers { bool operator==(const KillLeftovers&) const = default; };

using JobAction = std::variant<SpawnProcess, SendSignal, KillLeftovers>;

struct JobRuntime {
  JobState state = JobState::Stopped;
  bool want_up = false;        // wanted state, apart from the actual one (s6's flagwantup)
  bool main_alive = false;     // the main process exists (spawned, not yet reaped)
  bool kill_sent = false;      // stopping: SIGKILL already sent to the group
  int quick_exits = 0;         // failed starts in a row
  TimePoint spawned_at{};      // when the current process's exec succeeded
  std::optional<TimePoint> deadline;
  std::string reason;          // why the last transition happened: "exited 1", "stop requested"
  bool operator==(const JobRuntime&) const = default;
};

struct Step {
  JobRuntime next;
  std::vector<JobAction> actions;
};

// How long a stop waits after SIGKILL for the group to empty before giving up on it.
inline constexpr milliseconds kKillGrace{5000};
// A running job that dies sooner than this after its exec is restarted through the backoff
// (a failed start), so start_secs = 0 cannot make a tight crash loop.
inline constexpr milliseconds kMinUptimeForInstantRestart{1000};
// How often a ready = "listen" job's processes are looked at until one listens.
inline constexpr milliseconds kListenPoll{100};

Step step(const JobRuntime& job, const config::JobSpec& spec, const JobEvent& event, TimePoint now);

// True when a job in `state` has finished moving: a waiting start/stop may answer.
bool is_settled(JobState state);
// True when a job in `state` does nothing until asked: stopped, exited or fatal.
bool is_idle(JobState state);

}  // namespace supd::daemon
