// R20, property tests of the pure job state machine: an explicit table of allowed edges, every
// state x every event checked against it, and a seeded random walk over 100 000 event
// sequences, driven the way the supervisor drives a job, checking invariants after every step.
#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "daemon/core/job_state.hpp"
#include "job_state_util.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using common::ExitStatus;
using config::RestartPolicy;
using namespace test;

// ---- the allowed edges -----------------------------------------------------------------------

// Written from the diagram in daemon/core/job_state.hpp and DESIGN.md, not read off the code. Every
// state may also stay where it is (s6's nop; stopping -> stopping when SIGKILL goes out).
const std::set<std::pair<S, S>> kAllowed{
    {S::Stopped, S::Starting},   // start / restart
    {S::Starting, S::Running},   // up for start_secs (or start_secs = 0 and the exec succeeded)
    {S::Starting, S::Backoff},   // early exit or retriable spawn error, retries left
    {S::Starting, S::Fatal},     // too many early exits, or an exec error
    {S::Starting, S::Exited},    // early exit under restart = never (DESIGN: EXITED whatever the code)
    {S::Starting, S::Stopping},  // stop / restart
    {S::Starting, S::Stopped},   // a stop while its spawn is queued at start-up: it never ran
    {S::Running, S::Starting},   // an exit the policy restarts
    {S::Running, S::Exited},     // an exit the policy does not restart
    {S::Running, S::Backoff},    // a restartable exit within kMinUptimeForInstantRestart of the exec
    {S::Running, S::Fatal},      // ... that used up start_retries
    {S::Running, S::Stopping},   // stop / restart
    {S::Backoff, S::Starting},   // the backoff deadline, or a start
    {S::Backoff, S::Stopped},    // a stop cancels the pending restart (DESIGN)
    {S::Stopping, S::Stopped},   // the group is empty
    {S::Stopping, S::Starting},  // the group is empty and the job is wanted up (restart)
    {S::Exited, S::Starting},    {S::Exited, S::Stopped},
    {S::Fatal, S::Starting},     {S::Fatal, S::Stopped},
    {S::Stopped, S::Running},    // adopted from a previous supd
    {S::Stopped, S::Exited},     {S::Stopped, S::Fatal},  // restored after an upgrade
};

bool allowed(S from, S to) { return from == to || kAllowed.contains({from, to}); }

template <class T> struct Named {
  std::string name;
  T value;
};

std::vector<Named<JobRuntime>> sample_runtimes() {
  const auto spec = make_spec();
  const auto never = make_spec({.restart = RestartPolicy::Never});
  std::vector<Named<JobRuntime>> out;
  out.push_back({"stopped", JobRuntime{}});
  out.push_back({"starting (spawn pending)", step(JobRuntime{}, spec, StartRequested{}, t0).next});
  out.push_back({"starting", started(spec, t0).next});
  out.push_back({"running", running(spec, t0)});
  out.push_back({"backoff", backoff(spec, t0)});
  out.push_back({"stopping", stopping(spec, t0)});
  out.push_back({"stopping (restart)", step(running(spec, t0), spec, RestartRequested{}, t0 + 2s).next});
  out.push_back({"stopping (SIGKILL sent)", step(stopping(spec, t0), spec, DeadlineReached{}, t0 + 11s).next});
  out.push_back({"stopping (main reaped)", step(stopping(spec, t0), spec, exited(0, false), t0 + 2s).next});
  out.push_back({"exited", step(running(never, t0), never, exited(0), t0 + 5s).next});
  auto fatal = step(JobRuntime{}, spec, StartRequested{}, t0);
  out.push_back({"fatal", step(fatal.next, spec, SpawnFailed{"exec x: No such file or directory", true}, t0).next});
  return out;
}

std::vector<Named<JobEvent>> sample_events() {
  return {{"start", StartRequested{}},
          {"stop", StopRequested{}},
          {"restart", RestartRequested{}},
          {"spawned", Spawned{}},
          {"spawn failed (permanent)", SpawnFailed{"exec x: No such file or directory", true}},
          {"spawn failed (transient)", SpawnFailed{"fork: Resource temporarily unavailable", false}},
          {"exit 0", exited(0)},
          {"exit 1", exited(1)},
          {"killed", killed(SIGKILL)},
          {"exit 1, group left", exited(1, false)},
          {"group emptied", GroupEmptied{}},
          {"deadline", DeadlineReached{}},
          {"READY=1", ReadyNotified{}},
          {"adopted", Adopted{t0 - 10s}},
          {"restored fatal", Restored{S::Fatal, "exec x: No such file or directory"}},
          {"restored running (not idle: ignored)", Restored{S::Running, "?"}}};
}

TEST_CASE("every state x every event lands on an allowed edge", "[job_state][R20]") {
  using P = RestartPolicy;
  const auto rt = GENERATE(from_range(sample_runtimes()));
  const auto ev = GENERATE(from_range(sample_events()));
  const auto policy = GENERATE(P::Always, P::OnFailure, P::Never);
  const auto start_secs = GENERATE(milliseconds{0}, milliseconds{1000});
  const auto ready = GENERATE(config::Readiness::StartSecs, config::Readiness::Notify);
  CAPTURE(rt.name, ev.name, config::to_string(policy), start_secs.count(), config::to_string(ready));
  auto spec = make_spec({.restart = policy, .start_secs = start_secs});
  spec.ready = ready;
  const auto s = step(rt.value, spec, ev.value, t0 + 1h);
  CHECK(allowed(rt.value.state, s.next.state));
  if (diagram_idle(s.next.state)) {
    CHECK_FALSE(s.next.want_up);
    CHECK(s.next.deadline == std::nullopt);
  }
}

// ---- R20: the random walk --------------------------------------------------------------------

std::string name_of(const JobEvent& ev) {
  return std::visit(
      [](const auto& e) -> std::string {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, StartRequested>) return "start";
        else if constexpr (std::is_same_v<E, StopRequested>) return "stop";
        else if constexpr (std::is_same_v<E, RestartRequested>) return "restart";
        else if constexpr (std::is_same_v<E, Spawned>) return "spawned";
        else if constexpr (std::is_same_v<E, SpawnFailed>) return e.permanent ? "spawn failed (permanent)" : "spawn failed (transient)";
        else if constexpr (std::is_same_v<E, ProcessExited>)
          return fmt::format("reaped: {}{}", common::describe(e.status), e.group_empty ? "" : ", group not empty");
        else if constexpr (std::is_same_v<E, GroupEmptied>) return "group emptied";
        else if constexpr (std::is_same_v<E, ReadyNotified>) return "READY=1";
        else if constexpr (std::is_same_v<E, Adopted>) return "adopted";
        else if constexpr (std::is_same_v<E, Restored>) return fmt::format("restored {}", to_string(e.state));
        else return "deadline";
      },
      ev);
}

// One job driven the way the supervisor drives it: SpawnProcess is answered at once by Spawned
// or SpawnFailed, exits arrive only for a live main process, GroupEmptied only once main is gone
// and its group still had members, deadlines only when due. The walk keeps its own model of the
// world (main process, process group) and checks the machine against it after every step.
class Walk {
public:
  Walk(const JobSpec& spec, std::mt19937& rng) : spec_(spec), rng_(rng) {}

  void random_event() {
    switch (pick(0, 7)) {
    case 0:
      if (queued_ && chance(50)) return run_queued_spawn();  // the loop's next batch
      return feed(StartRequested{});
    case 1: return feed(StopRequested{});
    case 2: return feed(RestartRequested{});
    case 3:
    case 4:
      if (main_alive_) feed(ProcessExited{random_status(), chance(75)});
      return;
    case 5:
      if (!main_alive_ && group_alive_) feed(GroupEmptied{});
      return;
    default: return time_passes(chance(80));
    }
  }

  // Start-up after another supd: a process it left is adopted, or an upgrade hands a job over
  // exited or fatal; or nothing (a fresh supd).
  void previous_supd() {
    switch (pick(0, 3)) {
    case 0: return feed(Adopted{now_ - milliseconds{pick(0, 3000)}});
    case 1: return feed(Restored{S::Exited, "exited 0"});
    case 2: return feed(Restored{S::Fatal, "exec x: No such file or directory"});
    default: return;
    }
  }

  // A stop, then the process dies and its group empties: the job must end up stopped.
  void stop_and_settle() {
    feed(StopRequested{});
    for (int i = 0; i < 10 && failure_.empty(); ++i) {
      if (main_alive_) feed(ProcessExited{ExitStatus::killed(SIGTERM), chance(60)});
      else if (group_alive_ && chance(50)) feed(GroupEmptied{});
      else if (group_alive_ && rt_.deadline) time_passes(true);
      else if (group_alive_) feed(GroupEmptied{});
      else break;
    }
    if (rt_.state != S::Stopped || rt_.deadline || rt_.want_up)
      fail(fmt::format("a stop, the process dying and the group emptying ended in {} (deadline: {}, want_up: {})",
                       to_string(rt_.state), rt_.deadline.has_value(), rt_.want_up));
  }

  const std::string& failure() const { return failure_; }
  const std::set<std::pair<S, S>>& edges() const { return edges_; }
  std::string trace() const {
    std::string out;
    for (const auto& line : trace_) out += line + "\n";
    return out;
  }

private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(0, 99) < percent; }

  ExitStatus random_status() {
    switch (pick(0, 5)) {
    case 0: return ExitStatus::exited(0);
    case 1: return ExitStatus::exited(1);
    case 2: return ExitStatus::exited(2);
    case 3: return ExitStatus::killed(SIGKILL);
    case 4: return ExitStatus::killed(SIGTERM);
    default: return ExitStatus::killed(SIGSEGV, true);
    }
  }

  // The clock moves on, mostly to the pending deadline; the timer fires when due (or, when
  // `fire` is false, a little later: the loop may see other events first).
  void time_passes(bool fire) {
    if (rt_.deadline && chance(70)) now_ = std::max(now_, *rt_.deadline) + milliseconds{pick(0, 300)};
    else now_ += milliseconds{pick(0, 3000)};
    if (fire && rt_.deadline && *rt_.deadline <= now_) feed(DeadlineReached{});
  }

  void fail(std::string what) {
    if (failure_.empty()) failure_ = std::move(what);
  }

  void feed(const JobEvent& ev) {
    if (!failure_.empty()) return;
    // The world changes first, as the supervisor reports it.
    if (std::holds_alternative<Spawned>(ev) || std::holds_alternative<Adopted>(ev)) main_alive_ = group_alive_ = true;
    if (const auto* e = std::get_if<ProcessExited>(&ev)) {
      main_alive_ = false;
      group_alive_ = !e->group_empty;
    }
    if (std::holds_alternative<GroupEmptied>(ev)) group_alive_ = false;
    if (std::holds_alternative<StopRequested>(ev)) stop_pending_ = true;
    if (std::holds_alternative<StartRequested>(ev) || std::holds_alternative<RestartRequested>(ev))
      stop_pending_ = false;

    const S from = rt_.state;
    Step s = step(rt_, spec_, ev, now_);
    rt_ = s.next;
    edges_.insert({from, rt_.state});
    trace_.push_back(fmt::format("  t+{}ms {} : {} -> {} (main {}, group {})",
                                 std::chrono::duration_cast<milliseconds>(now_ - t0).count(), name_of(ev),
                                 to_string(from), to_string(rt_.state), main_alive_ ? "alive" : "gone",
                                 group_alive_ ? "alive" : "empty"));
    check_state(from, s);
    for (const auto& action : s.actions) execute(action);
  }

  void check_state(S from, const Step& s) {
    const auto& rt = s.next;
    if (!allowed(from, rt.state)) fail(fmt::format("edge {} -> {} is not allowed", to_string(from), to_string(rt.state)));
    if (rt.main_alive != main_alive_) fail("main_alive differs from the world");
    if ((diagram_idle(rt.state) || rt.state == S::Running) && rt.deadline) fail("deadline set in a settled state");
    if (diagram_idle(rt.state) && rt.want_up) fail("want_up set in an idle state");
    if (rt.state == S::Backoff && !rt.deadline) fail("backoff without a deadline: stuck forever");
    const bool spawn_pending = spawn_count(s.actions) > 0 || queued_;
    if (rt.state == S::Starting && !rt.main_alive && !spawn_pending) fail("starting with no process and no spawn");
    if (rt.state == S::Starting && rt.main_alive && spec_.start_secs.count() > 0 && !rt.deadline)
      fail("starting without a start_secs deadline: stuck forever");
    if (rt.state == S::Stopping && !rt.kill_sent && !rt.deadline) fail("stopping without stop_timeout");
    if (rt.state == S::Stopping && !main_alive_ && !group_alive_) fail("stopping with nothing left to stop");
    if (stop_pending_ && !main_alive_ && !group_alive_ && rt.state != S::Stopped)
      fail(fmt::format("stopped by the user, process and group gone, but {}", to_string(rt.state)));
    if (rt.quick_exits > spec_.start_retries + 1) fail("quick_exits beyond start_retries + 1");
  }

  void execute(const JobAction& action) {
    if (std::holds_alternative<SpawnProcess>(action)) {
      if (main_alive_) fail("SpawnProcess while the main process is alive: two instances");
      if (stop_pending_) fail("SpawnProcess after a user stop");
      if (chance(10)) {  // queued, as at start-up: done by a later batch, or dropped if stopped meanwhile
        queued_ = true;
        return;
      }
      spawn();
    } else if (const auto* sig = std::get_if<SendSignal>(&action)) {
      if (!sig->group && !main_alive_) fail("SendSignal to the main pid after it was reaped");
      if (!main_alive_ && !group_alive_) fail("SendSignal after the process was reaped and its group emptied");
    } else if (main_alive_) {
      fail("KillLeftovers while the main process is alive");
    }
  }

  void spawn() {
    queued_ = false;
    const int r = pick(0, 99);
    if (r < 85) feed(Spawned{});
    else feed(SpawnFailed{"spawn error", r >= 95});
  }

  // Supervisor::run_queued_spawns: only a job still starting with no process is spawned.
  void run_queued_spawn() {
    queued_ = false;
    if (rt_.state == S::Starting && !rt_.main_alive) spawn();
  }

  const JobSpec& spec_;
  std::mt19937& rng_;
  bool queued_ = false;  // a SpawnProcess the walk has not done yet
  JobRuntime rt_;
  TimePoint now_ = t0;
  bool main_alive_ = false;
  bool group_alive_ = false;
  bool stop_pending_ = false;  // the last request was a stop
  std::set<std::pair<S, S>> edges_;
  std::vector<std::string> trace_;
  std::string failure_;
};

TEST_CASE("100000 random event sequences keep every invariant (R20)", "[job_state][R20][property]") {
  using P = RestartPolicy;
  constexpr int kSequences = 100000;
  std::mt19937 rng(20240601);  // fixed: a failure names its sequence, and reruns reproduce it
  std::set<std::pair<S, S>> seen;
  std::map<std::string, std::string> failures;  // first trace per kind of failure
  int failed_sequences = 0;
  for (int n = 0; n < kSequences; ++n) {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const P policy = std::array{P::Always, P::OnFailure, P::Never}[static_cast<std::size_t>(pick(0, 2))];
    const auto spec = make_spec({.restart = policy,
                                 .start_secs = pick(0, 2) == 0 ? 0ms : 1000ms,
                                 .start_retries = std::array{0, 1, 3}[static_cast<std::size_t>(pick(0, 2))],
                                 .backoff_initial = 500ms,
                                 .backoff_max = 4s,
                                 .stop_timeout = pick(0, 1) == 0 ? 1s : 10s});
    Walk walk(spec, rng);
    const int length = pick(1, 60);
    walk.previous_supd();
    for (int i = 0; i < length && walk.failure().empty(); ++i) walk.random_event();
    walk.stop_and_settle();
    seen.insert(walk.edges().begin(), walk.edges().end());
    if (!walk.failure().empty()) {
      ++failed_sequences;
      if (!failures.contains(walk.failure()))
        failures[walk.failure()] = fmt::format("sequence {} (restart = {}, start_secs = {}ms, start_retries = {}):\n{}",
                                               n, config::to_string(policy), spec.start_secs.count(),
                                               spec.start_retries, walk.trace());
    }
  }
  for (const auto& [what, trace] : failures) {
    INFO(what << "\n" << trace);
    FAIL_CHECK("invariant broken");
  }
  CHECK(failed_sequences == 0);

  // The walk is only worth something if it reached every edge of the table.
  std::vector<std::string> unreached;
  for (const auto& [from, to] : kAllowed)
    if (!seen.contains({from, to})) unreached.push_back(fmt::format("{} -> {}", to_string(from), to_string(to)));
  CHECK(unreached == std::vector<std::string>{});
}

}  // namespace
}  // namespace supd::daemon
