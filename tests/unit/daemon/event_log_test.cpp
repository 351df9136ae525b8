// The event recorder on a fake wall clock: stamping, bounded per-job and daemon rings, merged
// history in the order events happened, followers, and the one log line per event.
#include <csignal>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "daemon/core/event_log.hpp"
#include "daemon/core/exit_cause.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using common::Event;

struct Fixture {
  common::WallTime now = common::WallTime(std::chrono::seconds(1'795'000'000));
  std::vector<std::string> logged;
  EventLog log{[this] { return now; }, 3, 2};
  Fixture() {
    log.set_log_sink([this](EventLog::Level, const std::string& line) { logged.push_back(line); });
  }
  const Event& add(std::optional<std::string> job, std::string reason) {
    Event e;
    e.job = std::move(job);
    e.kind = "config";
    e.reason = std::move(reason);
    now += 1s;
    return log.record(std::move(e));
  }
};

std::vector<std::string> reasons(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.reason);
  return out;
}

TEST_CASE("record stamps seq and the injected time, and logs one line", "[event_log]") {
  Fixture f;
  const auto& e = f.add("amsa", "command changed");
  CHECK(e.seq == 1);
  CHECK(e.time == f.now);
  CHECK(f.add(std::nullopt, "reloaded").seq == 2);
  CHECK(f.logged == std::vector<std::string>{"job amsa config: command changed", "supd config: reloaded"});
}

TEST_CASE("history is bounded per job and for supd, and merges in the order of events", "[event_log]") {
  Fixture f;
  for (int i = 1; i <= 5; ++i) f.add("a", "a" + std::to_string(i));
  f.add("b", "b1");
  for (int i = 1; i <= 3; ++i) f.add(std::nullopt, "s" + std::to_string(i));
  f.add("a", "a6");
  CHECK(reasons(f.log.history("a")) == std::vector<std::string>{"a4", "a5", "a6"});
  CHECK(reasons(f.log.history("b")) == std::vector<std::string>{"b1"});
  CHECK(f.log.history("nobody").empty());
  CHECK(reasons(f.log.history(std::nullopt)) == std::vector<std::string>{"a4", "a5", "b1", "s2", "s3", "a6"});
  CHECK(reasons(f.log.history(std::nullopt, 2)) == std::vector<std::string>{"s3", "a6"});
  CHECK(f.log.history("a", 0).empty());
}

TEST_CASE("a job's ring keeps its last events oldest first while it grows, fills and wraps", "[event_log]") {
  EventLog log{[] { return common::WallTime{}; }, 5, 1};
  log.set_log_sink({});
  std::vector<std::string> all;
  for (int i = 1; i <= 23; ++i) {
    Event e;
    e.job = "a";
    e.kind = "config";
    e.reason = std::to_string(i);
    log.record(std::move(e));
    all.push_back(std::to_string(i));
    const auto last = std::vector<std::string>(all.end() - std::min<std::ptrdiff_t>(5, i), all.end());
    CHECK(reasons(log.history("a")) == last);
  }
}

TEST_CASE("the history gives back every field of an event as it was recorded", "[event_log]") {
  // The history keeps a compact record, not the Event itself: nothing may get lost on the way.
  Fixture f;
  Event full;
  full.job = "amsa";
  full.kind = "signal";
  full.from = "running";
  full.to = "stopping";
  full.reason = "a reason long enough not to fit in a short string's own buffer";
  full.who = common::EventOrigin{common::EventOrigin::Kind::Peer, 1000, 4242, "/usr/local/bin/supctl"};
  full.signal = "USR1";
  full.pid = 77;
  full.exit = common::ExitStatus::killed(SIGKILL, true);
  Event bare;  // every optional left empty, about supd itself
  bare.kind = "supd";
  Event kernel = full;
  kernel.who = common::EventOrigin{common::EventOrigin::Kind::Kernel, 0, 0, ""};
  kernel.exit = common::ExitStatus::exited(3);
  kernel.signal.reset();
  const Event a = f.log.record(full), b = f.log.record(bare), c = f.log.record(kernel);
  CHECK(f.log.history(std::string("amsa")) == std::vector<Event>{a, c});
  CHECK(f.log.history(std::nullopt) == std::vector<Event>{a, b, c});
  CHECK(a.reason == full.reason);
  CHECK(a.who == full.who);
}

TEST_CASE("followers see new events of their job (or all), and go when they say so", "[event_log]") {
  Fixture f;
  std::vector<std::string> all, only_a;
  int left = 2;
  const auto t_all = f.log.subscribe(std::nullopt, [&](const Event& e) {
    all.push_back(e.reason);
    return true;
  });
  f.log.subscribe("a", [&](const Event& e) {
    only_a.push_back(e.reason);
    return --left > 0;  // a client that goes away after two events
  });
  f.add("a", "1");
  f.add("b", "2");
  f.add("a", "3");
  f.add("a", "4");
  CHECK(all == std::vector<std::string>{"1", "2", "3", "4"});
  CHECK(only_a == std::vector<std::string>{"1", "3"});
  CHECK(f.log.followers() == 1);
  f.log.unsubscribe(t_all);
  f.add("a", "5");
  CHECK(all.size() == 4);
  CHECK(f.log.followers() == 0);
}

TEST_CASE("a follower may unsubscribe itself while it is told", "[event_log]") {
  Fixture f;
  std::uint64_t token = 0;
  int calls = 0;
  token = f.log.subscribe(std::nullopt, [&](const Event&) {
    ++calls;
    f.log.unsubscribe(token);
    return true;
  });
  f.add("a", "1");
  f.add("a", "2");
  CHECK(calls == 1);
}

TEST_CASE("the human line of each kind of event", "[event_log]") {
  Event e;
  e.job = "amsa";
  e.kind = "state";
  e.from = "running";
  e.to = "stopping";
  e.reason = "stop requested";
  e.who = common::EventOrigin{common::EventOrigin::Kind::Peer, 0, 1234, "/usr/bin/supctl"};
  CHECK(common::describe(e) == "amsa running -> stopping: stop requested by uid 0 pid 1234 (supctl)");
  e.who->exe.clear();  // /proc/<pid>/exe unreadable: left out
  CHECK(common::describe(e) == "amsa running -> stopping: stop requested by uid 0 pid 1234");
  e.kind = "signal";
  e.reason = "SIGTERM to process group 42 (stop requested)";
  e.who = common::EventOrigin{};
  CHECK(common::describe(e) == "amsa signal: SIGTERM to process group 42 (stop requested) by supd");
  e.kind = "exit";
  e.reason = "pid 42 exited 3";
  e.who = common::EventOrigin{common::EventOrigin::Kind::Kernel, 0, 0, {}};
  CHECK(common::describe(e) == "amsa exit: pid 42 exited 3");
  e.job.reset();
  e.kind = "signal";
  e.reason = "received SIGHUP";
  CHECK(common::describe(e) == "supd signal: received SIGHUP");
}

// ---- why: the cause of an exit -----------------------------------------------------------

const Origin kPeer = Origin::peer(1000, 77, "/usr/bin/supctl");

TEST_CASE("explain_exit: a signal nobody in supd sent is an external kill", "[exit_cause]") {
  const auto c = explain_exit(common::ExitStatus::killed(SIGKILL), std::nullopt, {}, false);
  CHECK(c.kind == "external");
  CHECK(c.text == "an external kill: SIGKILL was not sent by supd");
  CHECK_FALSE(c.who);
  // Another signal sent by supd does not explain this one.
  CHECK(explain_exit(common::ExitStatus::killed(SIGKILL), std::nullopt, {{SIGUSR1, kPeer}}, false).kind ==
        "external");
  CHECK(explain_exit(common::ExitStatus::killed(SIGKILL), std::nullopt, {}, true).kind == "oom");
}

TEST_CASE("explain_exit: a stop request names its sender", "[exit_cause]") {
  const StopRequest stop{kPeer, "stop requested"};
  auto c = explain_exit(common::ExitStatus::killed(SIGTERM), stop, {{SIGTERM, Origin::supd()}}, false);
  CHECK(c.kind == "stop");
  CHECK(c.text == "SIGTERM sent by supd for the stop requested by uid 1000 pid 77 (supctl)");
  REQUIRE(c.who);
  CHECK(c.who->pid == 77);
  c = explain_exit(common::ExitStatus::exited(0), stop, {{SIGTERM, Origin::supd()}}, false);
  CHECK(c.text == "the job exited on the stop requested by uid 1000 pid 77 (supctl)");
  c = explain_exit(common::ExitStatus::killed(SIGTERM), StopRequest{Origin::supd(), "shutdown of supd"},
                   {{SIGTERM, Origin::supd()}}, false);
  CHECK(c.text == "SIGTERM sent by supd for the shutdown of supd");
}

TEST_CASE("explain_exit: supctl signal, and an exit of its own", "[exit_cause]") {
  auto c = explain_exit(common::ExitStatus::killed(SIGUSR1), std::nullopt, {{SIGUSR1, kPeer}}, false);
  CHECK(c.kind == "signal");
  CHECK(c.text == "SIGUSR1 sent with supctl signal by uid 1000 pid 77 (supctl)");
  c = explain_exit(common::ExitStatus::exited(3), std::nullopt, {}, false);
  CHECK(c.kind == "self");
  CHECK(c.text == "the job exited by itself");
}

}  // namespace
}  // namespace supd::daemon
