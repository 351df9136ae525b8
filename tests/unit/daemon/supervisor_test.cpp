// The supervisor over FakeProcessOps and FakeOutputSink: actions leave through the one seam as
// recorded calls ("spawn amsa", "signal 1000 TERM group"), driven by a fake clock. Covers the
// stop escalation (E3), spawn errors, crash loops, deadlines, shutdown, forwarding, output
// draining, and R81/R82: no signal ever reaches a reaped process or an empty group.
#include <algorithm>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "daemon/core/backoff.hpp"
#include "daemon/core/supervisor.hpp"
#include "daemon_fakes.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using namespace test;
using common::ExitStatus;
using config::RestartPolicy;
using Calls = std::vector<std::string>;

const Origin kUser = Origin::peer(1000, 4242);

TEST_CASE("stop escalates to SIGKILL after stop_timeout (E3)", "[supervisor][R12]") {
  Rig rig({make_spec({.stop_timeout = 5s})});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.on_deadline(t += 1s);
  REQUIRE(rig.job().rt.state == JobState::Running);
  rig.sup.stop(rig.job(), kUser, t += 10s);
  rig.sup.on_deadline(t += 5s);
  CHECK(rig.ops.calls == Calls{"spawn amsa", "signal 1000 TERM group", "signal 1000 KILL group"});
  CHECK(rig.job().rt.state == JobState::Stopping);

  rig.reap(1000, ExitStatus::killed(SIGKILL), t += 10ms);
  CHECK(rig.job().rt.state == JobState::Stopped);
  CHECK(rig.job().postmortem.last_exit == ExitStatus::killed(SIGKILL));
  CHECK(rig.sup.next_deadline() == std::nullopt);
  CHECK(rig.ops.calls.size() == 3);  // nothing more once it is gone
}

TEST_CASE("a stop answered in time sends only the stop signal", "[supervisor]") {
  Rig rig({make_spec({.stop_signal = SIGINT, .stop_timeout = 5s})});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.stop(rig.job(), kUser, t += 2s);  // while still starting
  rig.reap(1000, ExitStatus::killed(SIGINT), t += 100ms);
  rig.sup.on_deadline(t += 1h);
  CHECK(rig.ops.calls == Calls{"spawn amsa", "signal 1000 INT group"});
  CHECK(rig.job().rt.state == JobState::Stopped);
}

TEST_CASE("an exec failure is fatal at once and status shows its message", "[supervisor]") {
  Rig rig({make_spec({.restart = RestartPolicy::Always, .start_retries = 5})});
  rig.ops.fail_next_spawn("exec nope: No such file or directory", true);
  const TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  CHECK(rig.ops.calls == Calls{"spawn amsa"});  // no crash loop
  CHECK(rig.job().rt.state == JobState::Fatal);
  CHECK(rig.job().postmortem.error == "exec nope: No such file or directory");
  const auto st = rig.sup.status_of(rig.job(), t);
  CHECK(st.state == "fatal");
  CHECK(st.error == std::optional<std::string>("exec nope: No such file or directory"));
  CHECK(st.pid == std::nullopt);
  CHECK(st.uptime_s == std::nullopt);
  CHECK(rig.sup.next_deadline() == std::nullopt);
  CHECK(rig.sink.calls.empty());  // nothing to capture
  rig.sup.on_deadline(t + 1h);
  CHECK(rig.ops.calls == Calls{"spawn amsa"});
}

TEST_CASE("a transient spawn error backs off, shows in status, then retries", "[supervisor]") {
  Rig rig({make_spec({.backoff_initial = 2s})});
  rig.ops.fail_next_spawn("fork: Resource temporarily unavailable", false);
  const TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  CHECK(rig.job().rt.state == JobState::Backoff);
  CHECK(rig.sup.status_of(rig.job(), t).error == std::optional<std::string>("fork: Resource temporarily unavailable"));
  CHECK(rig.sup.next_deadline() == t + kFirstRetry);
  rig.sup.on_deadline(t + kFirstRetry);
  CHECK(rig.ops.calls == Calls{"spawn amsa", "spawn amsa"});
  CHECK(rig.job().rt.state == JobState::Starting);
  CHECK(rig.job().process.pid == 1000);
  CHECK(rig.sup.status_of(rig.job(), t + kFirstRetry).error == std::nullopt);
}

TEST_CASE("a crash loop reaches fatal through on_reaped and on_deadline", "[supervisor][R19]") {
  Rig rig({make_spec({.start_retries = 2, .backoff_initial = 1s})});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  std::vector<TimePoint> deadlines;
  for (pid_t pid = 1000; pid < 1003; ++pid) {
    CAPTURE(pid);
    REQUIRE(rig.job().process.pid == pid);
    rig.reap(pid, ExitStatus::exited(1), t += 200ms);  // before start_secs
    if (rig.job().rt.state != JobState::Backoff) break;
    deadlines.push_back(*rig.sup.next_deadline());
    t = *rig.sup.next_deadline();
    rig.sup.on_deadline(t);
  }
  CHECK(rig.ops.calls == Calls{"spawn amsa", "spawn amsa", "spawn amsa"});  // start_retries = 2: 3 spawns
  CHECK(deadlines.size() == 2);
  if (deadlines.size() == 2) CHECK(deadlines[1] - deadlines[0] == 200ms + 1s);  // 100 ms, then backoff_initial
  const auto st = rig.sup.status_of(rig.job(), t);
  CHECK(st.state == "fatal");
  CHECK(st.restarts == 2);
  CHECK(st.last_exit == ExitStatus::exited(1));
  REQUIRE(st.error.has_value());
  CHECK_THAT(*st.error, Catch::Contains("exited 1") && Catch::Contains("gave up after 3 failed starts"));
  CHECK(rig.sup.next_deadline() == std::nullopt);
}

TEST_CASE("next_deadline is the earliest deadline of any job", "[supervisor]") {
  Rig rig({named_spec("a", {.start_secs = 1s, .stop_timeout = 10s}), named_spec("b", {.start_secs = 3s})});
  const TimePoint t{};
  CHECK(rig.sup.next_deadline() == std::nullopt);
  rig.sup.start(rig.job("a"), kUser, t);
  rig.sup.start(rig.job("b"), kUser, t);
  CHECK(rig.sup.next_deadline() == t + 1s);
  rig.sup.on_deadline(t + 500ms);  // early: nothing is due
  CHECK(rig.job("a").rt.state == JobState::Starting);
  CHECK(rig.sup.next_deadline() == t + 1s);
  rig.sup.on_deadline(t + 1s);
  CHECK(rig.job("a").rt.state == JobState::Running);
  CHECK(rig.job("b").rt.state == JobState::Starting);
  CHECK(rig.sup.next_deadline() == t + 3s);
  rig.sup.on_deadline(t + 3s);
  CHECK(rig.sup.next_deadline() == std::nullopt);
  rig.sup.stop(rig.job("a"), kUser, t + 20s);
  CHECK(rig.sup.next_deadline() == t + 30s);
  rig.reap(1000, ExitStatus::killed(SIGTERM), t + 21s);
  CHECK(rig.sup.next_deadline() == std::nullopt);
}

TEST_CASE("start_autostart_jobs starts only the autostart jobs", "[supervisor]") {
  Rig rig({named_spec("a"), named_spec("b", {.autostart = false}), named_spec("c")});
  rig.autostart(TimePoint{});
  CHECK(rig.ops.calls == Calls{"spawn a", "spawn c"});
  CHECK(rig.job("b").rt.state == JobState::Stopped);
}

TEST_CASE("restart: the old process is gone before the new one is spawned", "[supervisor][R22]") {
  Rig rig({make_spec()});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.on_deadline(t += 1s);
  rig.sup.restart(rig.job(), kUser, t += 1s);
  CHECK(rig.ops.calls == Calls{"spawn amsa", "signal 1000 TERM group"});
  rig.reap(1000, ExitStatus::killed(SIGTERM), t += 10ms);
  CHECK(rig.ops.calls == Calls{"spawn amsa", "signal 1000 TERM group", "spawn amsa"});
  CHECK(rig.job().process.pid == 1001);
  CHECK(rig.job().restarts() == 1);
  CHECK(rig.ops.live_instances("amsa") == 1);
}

TEST_CASE("a stop waits until the whole process group is empty", "[supervisor][R11]") {
  Rig rig({make_spec()});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.on_deadline(t += 1s);
  rig.sup.stop(rig.job(), kUser, t += 1s);
  rig.reap(1000, ExitStatus::killed(SIGTERM), t += 10ms, /*leftovers=*/true);
  CHECK(rig.job().rt.state == JobState::Stopping);
  CHECK_FALSE(rig.job().rt.main_alive);
  CHECK(rig.sup.status_of(rig.job(), t).pid == std::nullopt);
  rig.reap_orphan(1000, 1005, t += 10ms);  // the last grandchild of group 1000
  CHECK(rig.job().rt.state == JobState::Stopped);
  CHECK(rig.job().process.pgid == 0);  // forgotten: the id may be recycled
  CHECK(rig.ops.calls == Calls{"spawn amsa", "signal 1000 TERM group"});
}

TEST_CASE("an unexpected exit kills what is left of the group before the restart", "[supervisor]") {
  Rig rig({make_spec({.restart = RestartPolicy::Always})});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.on_deadline(t += 1s);
  SECTION("leftovers: SIGKILL to the old group, then the spawn") {
    rig.reap(1000, ExitStatus::exited(3), t += 1s, /*leftovers=*/true);
    CHECK(rig.ops.calls == Calls{"spawn amsa", "signal 1000 KILL group", "spawn amsa"});
  }
  SECTION("no leftovers: just the spawn") {
    rig.reap(1000, ExitStatus::exited(3), t += 1s);
    CHECK(rig.ops.calls == Calls{"spawn amsa", "spawn amsa"});
  }
  CHECK(rig.ops.violations.empty());
}

TEST_CASE("shutdown stops every job and completes once every main process is reaped", "[supervisor][R16][R17]") {
  Rig rig({named_spec("a"), named_spec("b"), named_spec("c", {.autostart = false}), named_spec("d")});
  TimePoint t{};
  rig.autostart(t);  // a=1000, b=1001, d=1002
  rig.sup.on_deadline(t += 1s);
  rig.reap(1002, ExitStatus::exited(1), t += 1s);  // d restarts at once (on-failure): 1003
  rig.reap(1003, ExitStatus::exited(1), t += 100ms);  // d dies early: backoff
  REQUIRE(rig.job("d").rt.state == JobState::Backoff);
  rig.take_calls();

  CHECK_FALSE(rig.sup.shutdown_complete());  // not asked yet
  rig.sup.begin_shutdown(t += 1s);
  CHECK(rig.sup.shutting_down());
  CHECK(rig.ops.calls == Calls{"signal 1000 TERM group", "signal 1001 TERM group"});
  CHECK(rig.job("c").rt.state == JobState::Stopped);
  CHECK(rig.job("d").rt.state == JobState::Stopped);  // the pending retry is cancelled
  CHECK_FALSE(rig.sup.shutdown_complete());

  rig.sup.start(rig.job("c"), kUser, t);  // shutting down: starts nothing
  rig.sup.restart(rig.job("c"), kUser, t);
  rig.sup.on_deadline(t + 2s);  // d's old backoff deadline: nothing spawns
  CHECK(rig.ops.calls == Calls{"signal 1000 TERM group", "signal 1001 TERM group"});

  rig.reap(1000, ExitStatus::killed(SIGTERM), t += 100ms);
  CHECK_FALSE(rig.sup.shutdown_complete());
  SECTION("the last one exits") {
    rig.reap(1001, ExitStatus::exited(0), t += 100ms);
    CHECK(rig.sup.shutdown_complete());
  }
  SECTION("the last one leaves a group behind: complete once the group is empty") {
    rig.reap(1001, ExitStatus::exited(0), t += 100ms, /*leftovers=*/true);
    CHECK_FALSE(rig.sup.shutdown_complete());
    rig.reap_orphan(1001, 1010, t += 100ms);
    CHECK(rig.sup.shutdown_complete());
  }
  SECTION("the last one ignores SIGTERM: SIGKILL after stop_timeout") {
    rig.sup.on_deadline(t += 10s);
    CHECK(rig.ops.calls.back() == "signal 1001 KILL group");
    CHECK_FALSE(rig.sup.shutdown_complete());
    rig.reap(1001, ExitStatus::killed(SIGKILL), t += 10ms);
    CHECK(rig.sup.shutdown_complete());
  }
  CHECK(std::none_of(rig.ops.calls.begin(), rig.ops.calls.end(),
                     [](const std::string& c) { return c.starts_with("spawn"); }));
}

TEST_CASE("shutdown with nothing running is complete at once", "[supervisor]") {
  Rig rig({named_spec("a", {.autostart = false})});
  rig.sup.begin_shutdown(TimePoint{});
  CHECK(rig.sup.shutdown_complete());
  CHECK(rig.ops.calls.empty());
}

// ---- R82: nothing reaches a reaped process ----------------------------------------------------

TEST_CASE("a stop deadline after the child was reaped and its group emptied sends nothing (R82)",
          "[supervisor][R82]") {
  Rig rig({make_spec({.stop_timeout = 5s})});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.on_deadline(t += 1s);
  rig.sup.stop(rig.job(), kUser, t += 1s);
  const TimePoint stop_deadline = *rig.sup.next_deadline();

  SECTION("reaped with its group: stopped, and the old deadline is a no-op") {
    rig.reap(1000, ExitStatus::killed(SIGTERM), t += 1s);
    CHECK(rig.job().rt.state == JobState::Stopped);
    rig.sup.on_deadline(stop_deadline);
    rig.sup.on_deadline(stop_deadline + kKillGrace);
  }
  SECTION("reaped, then the group empties without a SIGCHLD reaching supd") {
    rig.reap(1000, ExitStatus::killed(SIGTERM), t += 1s, /*leftovers=*/true);
    rig.ops.live_groups.erase(1000);  // its last member was reaped by someone else
    rig.sup.on_deadline(stop_deadline);  // the escalation timer: the group is gone, no SIGKILL
    CHECK(rig.job().rt.state == JobState::Stopping);
    rig.sup.on_deadline(*rig.sup.next_deadline());  // kKillGrace later the stop gives up waiting
    CHECK(rig.job().rt.state == JobState::Stopped);
  }
  CHECK(rig.ops.calls == Calls{"spawn amsa", "signal 1000 TERM group"});
  CHECK(rig.ops.violations.empty());
}

TEST_CASE("a user signal after the child was reaped sends nothing (R82)", "[supervisor][R82]") {
  Rig rig({make_spec({.restart = RestartPolicy::Never})});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.on_deadline(t += 1s);
  rig.reap(1000, ExitStatus::exited(0), t += 1s);
  REQUIRE(rig.job().rt.state == JobState::Exited);
  rig.take_calls();
  CHECK(rig.sup.signal(rig.job(), SIGUSR1, false, kUser) == ESRCH);
  CHECK(rig.sup.signal(rig.job(), SIGUSR1, true, kUser) == ESRCH);
  rig.sup.forward(SIGUSR1);
  CHECK(rig.ops.calls.empty());
}

TEST_CASE("after a restart, signals reach only the new process", "[supervisor][R82]") {
  Rig rig({make_spec({.restart = RestartPolicy::Always})});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.on_deadline(t += 1s);
  rig.reap(1000, ExitStatus::killed(SIGSEGV, true), t += 5s);
  REQUIRE(rig.job().process.pid == 1001);
  rig.take_calls();
  CHECK(rig.sup.signal(rig.job(), SIGUSR1, false, kUser) == 0);
  CHECK(rig.sup.signal(rig.job(), SIGHUP, true, kUser) == 0);
  CHECK(rig.ops.calls == Calls{"signal 1001 USR1", "signal 1001 HUP group"});
  CHECK(rig.ops.violations.empty());
}

TEST_CASE("signal() on a job without a process returns ESRCH and records no call", "[supervisor]") {
  Rig rig({make_spec({.backoff_initial = 5s})});
  const bool group = GENERATE(false, true);
  CAPTURE(group);
  SECTION("stopped") { CHECK(rig.sup.signal(rig.job(), SIGUSR1, group, kUser) == ESRCH); }
  SECTION("backoff") {
    rig.ops.fail_next_spawn("fork: Resource temporarily unavailable", false);
    rig.sup.start(rig.job(), kUser, TimePoint{});
    REQUIRE(rig.job().rt.state == JobState::Backoff);
    rig.take_calls();
    CHECK(rig.sup.signal(rig.job(), SIGUSR1, group, kUser) == ESRCH);
  }
  SECTION("fatal") {
    rig.ops.fail_next_spawn("exec amsa: Permission denied", true);
    rig.sup.start(rig.job(), kUser, TimePoint{});
    rig.take_calls();
    CHECK(rig.sup.signal(rig.job(), SIGUSR1, group, kUser) == ESRCH);
  }
  CHECK(rig.ops.calls.empty());
}

TEST_CASE("a signal to the main process goes through its pidfd which closes at the reap (R81)",
          "[supervisor][R81]") {
  Rig rig({make_spec()});
  rig.ops.give_pidfd = true;
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  const int pidfd = rig.job().process.pidfd.get();
  REQUIRE(pidfd >= 0);
  CHECK(rig.sup.signal(rig.job(), SIGUSR1, false, kUser) == 0);
  CHECK(rig.ops.pidfds_used == std::vector<int>{pidfd});
  rig.reap(1000, ExitStatus::exited(0), t += 2s);
  CHECK_FALSE(rig.job().process.pidfd);
  CHECK(::fcntl(pidfd, F_GETFD) == -1);  // closed with the reap, not leaked
}

TEST_CASE("a group signal is sent only while the group has live members (R81)", "[supervisor][R81]") {
  Rig rig({make_spec()});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.ops.live_groups.erase(1000);  // the kernel says: nobody left in group 1000
  CHECK(rig.sup.signal(rig.job(), SIGUSR1, true, kUser) == ESRCH);
  CHECK(rig.ops.calls == Calls{"spawn amsa"});
}

TEST_CASE("a failing send_signal reports its errno", "[supervisor]") {
  Rig rig({make_spec()});
  rig.sup.start(rig.job(), kUser, TimePoint{});
  rig.ops.signal_errno = EPERM;
  CHECK(rig.sup.signal(rig.job(), SIGUSR1, false, kUser) == EPERM);
}

TEST_CASE("forward(signo) reaches only the running jobs that list it", "[supervisor][R10]") {
  Rig rig({named_spec("a", {.forward_signals = {SIGUSR1}}),
           named_spec("b", {.forward_signals = {SIGUSR1, SIGUSR2}}),
           named_spec("c"),
           named_spec("d", {.forward_signals = {SIGUSR1}, .autostart = false})});
  rig.autostart(TimePoint{});  // a=1000, b=1001, c=1002; d stays stopped
  rig.take_calls();
  rig.sup.forward(SIGUSR1);
  CHECK(rig.ops.calls == Calls{"signal 1000 USR1", "signal 1001 USR1"});  // to the main pid, not the group
  rig.take_calls();
  rig.sup.forward(SIGUSR2);
  CHECK(rig.ops.calls == Calls{"signal 1001 USR2"});
  rig.take_calls();
  rig.sup.forward(SIGHUP);
  CHECK(rig.ops.calls.empty());
}

TEST_CASE("the output is drained before the exit is recorded", "[supervisor][R34]") {
  Rig rig({make_spec({.restart = RestartPolicy::Never})});
  bool checked = false;
  rig.sink.on_drain = [&](const std::string& name) {
    const Job& job = rig.job(name);
    CHECK(job.postmortem.last_exit == std::nullopt);  // nothing recorded yet
    CHECK(job.rt.main_alive);
    CHECK(job.rt.state == JobState::Running);
    checked = true;
  };
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.on_deadline(t += 1s);
  rig.reap(1000, ExitStatus::exited(4), t += 1s);
  CHECK(checked);
  CHECK(rig.sink.calls == Calls{"attach amsa", "drain amsa"});
  CHECK(rig.job().postmortem.last_exit == ExitStatus::exited(4));
  CHECK(rig.job().rt.state == JobState::Exited);
}

TEST_CASE("a reaped pid that is no job's main process changes nothing", "[supervisor]") {
  Rig rig({make_spec()});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.on_reaped(4711, ExitStatus::exited(0), t += 1s);
  CHECK(rig.job().rt.state == JobState::Starting);
  CHECK(rig.job().rt.main_alive);
  CHECK(rig.sink.calls == Calls{"attach amsa"});
}

// ---- a random walk over the supervisor and the fake kernel (R20, R81, R82) --------------------

TEST_CASE("random requests, exits and timers: one instance, no signal to the dead", "[supervisor][R20][property]") {
  constexpr int kSequences = 3000;
  std::mt19937 rng(7);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto chance = [&](int percent) { return pick(0, 99) < percent; };
  const std::array policies{RestartPolicy::Always, RestartPolicy::OnFailure, RestartPolicy::Never};
  const std::array statuses{ExitStatus::exited(0), ExitStatus::exited(1), ExitStatus::killed(SIGKILL),
                            ExitStatus::killed(SIGTERM)};
  int failures = 0;

  for (int n = 0; n < kSequences && failures < 3; ++n) {
    auto random_spec = [&](const char* name) {
      return named_spec(name, {.restart = policies[static_cast<std::size_t>(pick(0, 2))],
                               .start_secs = chance(30) ? 0ms : 1000ms,
                               .start_retries = pick(0, 3),
                               .backoff_initial = 500ms,
                               .backoff_max = 4s,
                               .stop_timeout = 2s,
                               .forward_signals = {SIGUSR1}});
    };
    Rig rig({random_spec("a"), random_spec("b")});
    TimePoint now{};
    std::vector<std::string> trace;
    std::size_t spawns_at_shutdown = 0;
    auto job = [&]() -> const Job& { return rig.sup.jobs()[static_cast<std::size_t>(pick(0, 1))]; };
    auto check = [&]() -> std::string {
      if (!rig.ops.violations.empty()) return rig.ops.violations.front();
      for (const Job& j : rig.sup.jobs()) {
        const int live = rig.ops.live_instances(j.spec.name);
        if (live > 1) return "two live instances of " + j.spec.name;
        if (j.rt.main_alive != (live == 1)) return "main_alive of " + j.spec.name + " differs from the kernel";
        if (j.rt.main_alive && !rig.ops.live.contains(j.process.pid)) return "job pid is not the live process";
      }
      if (rig.sup.shutting_down()) {
        const auto spawns = static_cast<std::size_t>(std::count_if(
            rig.ops.calls.begin(), rig.ops.calls.end(), [](const std::string& c) { return c.starts_with("spawn"); }));
        if (spawns != spawns_at_shutdown) return "a spawn after begin_shutdown";
      }
      return {};
    };
    auto shutdown = [&] {
      spawns_at_shutdown = static_cast<std::size_t>(std::count_if(
          rig.ops.calls.begin(), rig.ops.calls.end(), [](const std::string& c) { return c.starts_with("spawn"); }));
      rig.sup.begin_shutdown(now);
    };
    auto reap_something = [&](bool leftovers_ok) {
      if (!rig.ops.live.empty()) {
        auto it = rig.ops.live.begin();
        std::advance(it, pick(0, static_cast<int>(rig.ops.live.size()) - 1));
        const pid_t pid = *it;
        rig.reap(pid, statuses[static_cast<std::size_t>(pick(0, 3))], now, leftovers_ok && chance(25));
        trace.push_back(fmt::format("reap {}", pid));
        return true;
      }
      for (const pid_t pgid : rig.ops.live_groups) {  // a group whose leader is gone
        rig.reap_orphan(pgid, 90000 + pgid, now);
        trace.push_back(fmt::format("orphan of group {}", pgid));
        return true;
      }
      return false;
    };

    std::string failure;
    const int length = pick(1, 40);
    for (int i = 0; i < length && failure.empty(); ++i) {
      if (chance(5)) rig.ops.fail_next_spawn("spawn error", chance(50));
      switch (pick(0, 9)) {
      case 0: rig.sup.start(job(), kUser, now); trace.push_back("start"); break;
      case 1: rig.sup.stop(job(), kUser, now); trace.push_back("stop"); break;
      case 2: rig.sup.restart(job(), kUser, now); trace.push_back("restart"); break;
      case 3: rig.sup.signal(job(), SIGUSR2, chance(50), kUser); trace.push_back("signal"); break;
      case 4: rig.sup.forward(SIGUSR1); trace.push_back("forward"); break;
      case 5:
      case 6: reap_something(true); break;
      case 7:
        if (chance(10) && !rig.sup.shutting_down()) {
          shutdown();
          trace.push_back("shutdown");
        }
        break;
      default:
        now = rig.sup.next_deadline() && chance(70) ? std::max(now, *rig.sup.next_deadline())
                                                    : now + milliseconds{pick(0, 3000)};
        rig.sup.on_deadline(now);
        trace.push_back("timer");
      }
      failure = check();
    }
    if (failure.empty() && !rig.sup.shutting_down()) shutdown();
    for (int i = 0; i < 30 && failure.empty() && !rig.sup.shutdown_complete(); ++i) {
      if (!reap_something(false) && rig.sup.next_deadline()) {
        now = std::max(now, *rig.sup.next_deadline());
        rig.sup.on_deadline(now);
      }
      failure = check();
    }
    if (failure.empty() && !rig.sup.shutdown_complete()) failure = "shutdown never completed";
    if (!failure.empty()) {
      ++failures;
      std::string calls;
      for (const auto& c : rig.ops.calls) calls += "  " + c + "\n";
      std::string steps;
      for (const auto& s : trace) steps += s + ", ";
      INFO("sequence " << n << ": " << failure << "\nsteps: " << steps << "\ncalls:\n" << calls);
      FAIL_CHECK("invariant broken");
    }
  }
  CHECK(failures == 0);
}

TEST_CASE("autostart queues the spawns: starting at once, spawned a batch at a time, a stop while queued never spawns",
          "[supervisor][autostart]") {
  Rig rig({named_spec("a"), named_spec("b"), named_spec("c"), named_spec("d"), named_spec("off", {.autostart = false})});
  const TimePoint t{};
  rig.sup.start_autostart_jobs(t);
  CHECK(rig.ops.calls.empty());  // nothing spawned yet: supd answers first
  for (const char* name : {"a", "b", "c", "d"}) {
    CAPTURE(name);
    CHECK(rig.job(name).rt.state == JobState::Starting);
    CHECK(rig.sup.status_of(rig.job(name), t).pid == std::nullopt);
  }
  CHECK(rig.job("off").rt.state == JobState::Stopped);
  CHECK(rig.sup.summary() == "1 stopped, 4 starting");

  CHECK(rig.sup.run_queued_spawns(2, t) == 2);
  CHECK(rig.take_calls() == Calls{"spawn a", "spawn b"});
  rig.sup.stop(rig.job("c"), kUser, t);  // queued: stopped at once, no signal to send
  CHECK(rig.job("c").rt.state == JobState::Stopped);
  rig.sup.restart(rig.job("d"), kUser, t);  // queued: it spawns as queued, once
  CHECK(rig.job("d").rt.state == JobState::Starting);
  CHECK(rig.sup.run_queued_spawns(64, t) == 0);
  CHECK(rig.take_calls() == Calls{"spawn d"});
  CHECK(rig.job("c").rt.state == JobState::Stopped);
  CHECK(rig.sup.run_queued_spawns(64, t) == 0);
  CHECK(rig.take_calls().empty());
}

TEST_CASE("a shutdown while spawns are queued stops the queued jobs without spawning them", "[supervisor][autostart]") {
  Rig rig({named_spec("a"), named_spec("b")});
  const TimePoint t{};
  rig.sup.start_autostart_jobs(t);
  rig.sup.begin_shutdown(t);
  CHECK(rig.sup.shutdown_complete());
  CHECK(rig.sup.run_queued_spawns(64, t) == 0);
  CHECK(rig.ops.calls.empty());
}

TEST_CASE("after jobs are added and erased, lookups by name and pid and the next deadline still find the right job",
          "[supervisor][index]") {
  Rig rig({named_spec("a", {.start_secs = 1s}), named_spec("b", {.start_secs = 2s}),
           named_spec("c", {.start_secs = 3s})});
  TimePoint t{};
  for (const char* name : {"a", "b", "c"}) rig.sup.start(rig.job(name), kUser, t);
  REQUIRE(rig.job("c").process.pid == 1002);
  CHECK(rig.sup.next_deadline() == t + 1s);
  // An ad-hoc job comes and goes: every index is rebuilt, and still right.
  protocol::Run run;
  run.name = "tmp";
  rig.sup.add_run_job(named_spec("tmp"), run);
  rig.sup.erase_job("tmp");
  CHECK(rig.sup.find("tmp") == nullptr);
  CHECK(rig.sup.find("b") == &rig.sup.jobs()[1]);
  rig.sup.on_deadline(t += 1s);
  CHECK(rig.job("a").rt.state == JobState::Running);
  CHECK(rig.sup.next_deadline() == TimePoint{} + 2s);
  rig.reap(1002, ExitStatus::exited(1), t += 10ms);  // c's pid: c, and only c, saw it
  CHECK(rig.job("c").rt.state == JobState::Backoff);
  CHECK(rig.job("b").rt.state == JobState::Starting);
  CHECK(rig.sup.next_deadline() == t + kFirstRetry);  // c's retry comes before b's start_secs
}

}  // namespace
}  // namespace supd::daemon
