// Dependencies, oneshots, health, schedules and ready = "listen" through the supervisor, over
// the fake process layer and a fake clock (DESIGN.md, "Dependencies, one-shot and scheduled
// jobs, health"): the order of spawns and signals is what the calls record.
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "daemon/core/dependencies.hpp"
#include "daemon/core/health_checks.hpp"
#include "daemon/core/supervisor.hpp"
#include "daemon_fakes.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using namespace test;
using common::ExitStatus;
using config::Condition;
using config::RestartPolicy;
using Calls = std::vector<std::string>;

const Origin kUser = Origin::peer(1000, 4242);

JobSpec job(std::string name, std::vector<config::Dependency> deps = {}, SpecOptions o = {}) {
  auto spec = named_spec(std::move(name), o);
  spec.depends_on = std::move(deps);
  return spec;
}

JobSpec oneshot(std::string name) {
  auto spec = job(std::move(name), {}, {.restart = RestartPolicy::Never});
  spec.type = config::JobType::Oneshot;
  return spec;
}

config::HealthCheck tcp_check(int retries = 3) {
  config::HealthCheck c;
  c.kind = config::HealthCheck::Kind::Tcp;
  c.target = "127.0.0.1:6379";
  c.interval = 5s;
  c.retries = retries;
  return c;
}

// Records the checks asked for; the test answers them.
struct FakeChecks final : HealthChecks {
  std::vector<std::string> asked;  // "db #1"
  void run(const config::JobSpec& job, int run) override { asked.push_back(fmt::format("{} #{}", job.name, run)); }
};

pid_t pid_of(Rig& rig, std::string_view name) { return rig.job(name).process.pid; }

TEST_CASE("start waits for each dependency's condition and starts what it needs first", "[order]") {
  Rig rig({job("db"), oneshot("migrate"), job("web", {{"db", Condition::Running}, {"migrate", Condition::Completed}})});
  TimePoint t{};
  rig.sup.start(rig.job("web"), kUser, t);
  CHECK(rig.take_calls() == Calls{"spawn db", "spawn migrate"});
  CHECK(rig.job("web").rt.state == JobState::Waiting);
  CHECK(rig.sup.status_of(rig.job("web"), t).reason == std::optional<std::string>("waiting for db to be running"));
  CHECK(rig.sup.status_of(rig.job("web"), t).state == "waiting");
  rig.sup.on_deadline(t += 1s);  // db and migrate up for start_secs
  CHECK(rig.job("db").rt.state == JobState::Running);
  CHECK(rig.job("web").rt.state == JobState::Waiting);
  CHECK(rig.job("web").rt.reason == "waiting for migrate to complete");
  CHECK(rig.take_calls().empty());
  rig.reap(pid_of(rig, "migrate"), ExitStatus::exited(0), t += 2s);
  CHECK(rig.job("migrate").rt.state == JobState::Exited);
  CHECK(rig.take_calls() == Calls{"spawn web"});
  CHECK(rig.job("web").rt.state == JobState::Starting);
  // A completed oneshot is not run again by the next start of what depends on it.
  rig.sup.stop(rig.job("web"), kUser, t += 1s);
  rig.reap(pid_of(rig, "web"), ExitStatus::killed(SIGTERM), t += 10ms);
  rig.take_calls();
  rig.sup.start(rig.job("web"), kUser, t += 1s);
  CHECK(rig.take_calls() == Calls{"spawn web"});
}

TEST_CASE("a dependency that goes fatal leaves its dependent waiting and saying so", "[order]") {
  Rig rig({job("db", {}, {.start_retries = 0}), job("web", {{"db", Condition::Running}})});
  TimePoint t{};
  rig.sup.start(rig.job("web"), kUser, t);
  rig.reap(pid_of(rig, "db"), ExitStatus::exited(1), t += 100ms);  // a failed start, no retries left
  CHECK(rig.job("db").rt.state == JobState::Fatal);
  CHECK(rig.job("web").rt.state == JobState::Waiting);
  CHECK(rig.job("web").order.blocked);
  CHECK_THAT(rig.job("web").rt.reason, Catch::StartsWith("db is fatal: exited 1"));
  CHECK(rig.take_calls() == Calls{"spawn db"});
  // Starting web again starts db again.
  rig.sup.start(rig.job("web"), kUser, t += 1s);
  CHECK(rig.take_calls() == Calls{"spawn db"});
  CHECK_FALSE(rig.job("web").order.blocked);
  rig.sup.on_deadline(t += 1s);
  CHECK(rig.take_calls() == Calls{"spawn web"});
}

TEST_CASE("a oneshot that fails leaves what waits for its completion blocked", "[order]") {
  Rig rig({oneshot("migrate"), job("web", {{"migrate", Condition::Completed}})});
  TimePoint t{};
  rig.sup.start(rig.job("web"), kUser, t);
  rig.reap(pid_of(rig, "migrate"), ExitStatus::exited(3), t += 2s);
  CHECK(rig.job("web").rt.state == JobState::Waiting);
  CHECK(rig.job("web").order.blocked);
  CHECK(rig.job("web").rt.reason == "migrate did not complete: exited 3");
}

TEST_CASE("stopping a job stops what depends on it first", "[order]") {
  Rig rig({job("db"), job("web", {{"db", Condition::Running}}), job("worker", {{"web", Condition::Started}})});
  TimePoint t{};
  rig.sup.start(rig.job("worker"), kUser, t);
  rig.sup.on_deadline(t += 1s);
  rig.sup.on_deadline(t += 1s);
  REQUIRE(rig.job("worker").rt.state == JobState::Running);  // spawned with web ("started")
  const pid_t db = pid_of(rig, "db"), web = pid_of(rig, "web"), worker = pid_of(rig, "worker");
  rig.take_calls();
  rig.sup.stop(rig.job("db"), kUser, t += 1s);
  CHECK(rig.take_calls() == Calls{fmt::format("signal {} TERM group", worker)});
  CHECK(rig.job("db").rt.state == JobState::Running);  // waits for its dependents
  rig.reap(worker, ExitStatus::killed(SIGTERM), t += 10ms);
  CHECK(rig.take_calls() == Calls{fmt::format("signal {} TERM group", web)});
  rig.reap(web, ExitStatus::killed(SIGTERM), t += 10ms);
  CHECK(rig.take_calls() == Calls{fmt::format("signal {} TERM group", db)});
  rig.reap(db, ExitStatus::killed(SIGTERM), t += 10ms);
  CHECK(rig.job("db").rt.state == JobState::Stopped);
  CHECK(rig.job("web").rt.state == JobState::Stopped);
}

TEST_CASE("shutdown stops in reverse dependency order", "[order]") {
  Rig rig({job("web", {{"db", Condition::Running}}), job("db")});
  TimePoint t{};
  rig.autostart(t);
  CHECK(rig.take_calls() == Calls{"spawn db"});
  rig.sup.on_deadline(t += 1s);
  CHECK(rig.take_calls() == Calls{"spawn web"});
  rig.sup.begin_shutdown(t += 1s);
  CHECK(rig.take_calls() == Calls{fmt::format("signal {} TERM group", pid_of(rig, "web"))});
  rig.reap(pid_of(rig, "web"), ExitStatus::killed(SIGTERM), t += 10ms);
  CHECK(rig.take_calls() == Calls{fmt::format("signal {} TERM group", pid_of(rig, "db"))});
  rig.reap(pid_of(rig, "db"), ExitStatus::killed(SIGTERM), t += 10ms);
  CHECK(rig.sup.shutdown_complete());
}

TEST_CASE("a stop of a waiting job ends its wait", "[order]") {
  Rig rig({job("db", {}, {.autostart = false}), job("web", {{"db", Condition::Running}})});
  TimePoint t{};
  rig.sup.start(rig.job("web"), kUser, t);
  rig.sup.stop(rig.job("web"), kUser, t += 10ms);
  CHECK(rig.job("web").rt.state == JobState::Stopped);
  rig.sup.on_deadline(t += 1s);  // db runs now: web stays stopped
  CHECK(rig.take_calls() == Calls{"spawn db"});
}

TEST_CASE("healthy waits for the check to pass and an unhealthy job is restarted", "[order][health]") {
  auto db = job("db");
  db.health = tcp_check(2);
  Rig rig({db, job("web", {{"db", Condition::Healthy}})});
  FakeChecks checks;
  rig.sup.set_health_checks(&checks);
  TimePoint t{};
  rig.sup.start(rig.job("web"), kUser, t);
  rig.sup.on_deadline(t += 1s);  // db running: its first check is due at once
  CHECK(rig.job("db").health.status == Health::Starting);
  CHECK(rig.sup.status_of(rig.job("db"), t).health == std::optional<std::string>("starting"));
  rig.sup.on_deadline(t);
  CHECK(checks.asked == std::vector<std::string>{"db #1"});
  CHECK(rig.job("web").rt.reason == "waiting for db to be healthy");
  rig.sup.on_health_result("db", 1, true, "connected to 127.0.0.1:6379", t += 5ms);
  CHECK(rig.job("db").health.status == Health::Healthy);
  CHECK(rig.take_calls() == Calls{"spawn db", "spawn web"});
  // Hung: two failures in a row make it unhealthy, and it is restarted.
  rig.sup.on_deadline(t += 5s);
  rig.sup.on_health_result("db", 1, false, "timed out after 2s", t += 2s);
  CHECK(rig.job("db").health.status == Health::Healthy);
  rig.sup.on_deadline(t += 5s);
  rig.sup.on_health_result("db", 1, false, "timed out after 2s", t += 2s);
  CHECK(rig.take_calls() == Calls{fmt::format("signal {} TERM group", pid_of(rig, "db"))});
  CHECK(rig.job("db").rt.state == JobState::Stopping);
  CHECK(rig.job("db").health.status == Health::None);
  REQUIRE(rig.job("db").evidence.stop_request);
  CHECK_THAT(rig.job("db").evidence.stop_request->what,
             Catch::Contains("unhealthy after 2 failed checks") && Catch::Contains("timed out after 2s"));
  bool saw = false;
  for (const auto& e : rig.sup.events().history(std::string("db"), std::nullopt))
    saw = saw || (e.kind == "health" && e.reason.find("unhealthy") != std::string::npos);
  CHECK(saw);
  // A verdict for the run before is ignored.
  rig.reap(pid_of(rig, "db"), ExitStatus::killed(SIGTERM), t += 10ms);
  rig.sup.on_health_result("db", 1, true, "late", t += 10ms);
  CHECK(rig.job("db").health.status == Health::None);
}

TEST_CASE("failures within start_period do not count", "[health]") {
  config::HealthCheck check = tcp_check(1);
  check.start_period = 30s;
  TimePoint t{};
  auto h = health_begin(t);
  auto v = health_result(h, check, false, "refused", t + 10s);
  CHECK(v.next.status == Health::Starting);
  CHECK_FALSE(v.restart);
  v = health_result(v.next, check, false, "refused", t + 31s);
  CHECK(v.next.status == Health::Unhealthy);
  CHECK(v.restart);
  CHECK(v.next.next_check == t + 31s + 5s);
}

TEST_CASE("ready = listen: running once a process of the job listens", "[order][listen]") {
  auto spec = job("srv");
  spec.ready = config::Readiness::Listen;
  Rig rig({spec});
  TimePoint t{};
  rig.sup.start(rig.job("srv"), kUser, t);
  rig.sup.on_deadline(t += kListenPoll);
  rig.sup.on_deadline(t += 5s);  // start_secs does not count: it waits for a listener
  CHECK(rig.job("srv").rt.state == JobState::Starting);
  rig.ops.listening.insert(pid_of(rig, "srv"));
  rig.sup.on_deadline(t += kListenPoll);
  CHECK(rig.job("srv").rt.state == JobState::Running);
  CHECK(rig.job("srv").rt.reason == "started (listening)");
}

TEST_CASE("every: runs on time and never twice at once", "[order][schedule]") {
  auto spec = job("tick", {}, {.restart = RestartPolicy::Never, .autostart = false});
  spec.every = 10min;
  Rig rig({spec});
  TimePoint t{};
  rig.autostart(t);
  CHECK(rig.take_calls().empty());
  REQUIRE(rig.job("tick").next_run);
  CHECK(rig.job("tick").next_run->at == t + 10min);
  CHECK(rig.sup.status_of(rig.job("tick"), t).next_run.has_value());
  CHECK(rig.sup.next_deadline() == t + 10min);
  rig.sup.on_deadline(t += 10min);
  CHECK(rig.take_calls() == Calls{"spawn tick"});
  CHECK(rig.job("tick").next_run->at == t + 10min);
  rig.sup.on_deadline(t += 10min);  // still running: skipped
  CHECK(rig.take_calls().empty());
  rig.reap(pid_of(rig, "tick"), ExitStatus::exited(0), t += 1min);
  rig.sup.on_deadline(t += 9min);
  CHECK(rig.take_calls() == Calls{"spawn tick"});
}

void reload(Rig& rig, std::vector<JobSpec> specs, TimePoint now) {
  const auto next = config_of(std::move(specs));
  rig.sup.apply_reload(next, rig.sup.plan_reload(next), now);
}

TEST_CASE("a reload that removes an edge lets a waiting job start and one that adds an edge orders the next start",
          "[order][reload]") {
  const auto db = job("db", {}, {.start_retries = 0, .autostart = false});
  Rig rig({db, job("web", {{"db", Condition::Running}}, {.autostart = false})});
  TimePoint t{};
  rig.sup.start(rig.job("web"), kUser, t);
  rig.reap(pid_of(rig, "db"), ExitStatus::exited(1), t += 100ms);
  REQUIRE(rig.job("web").rt.state == JobState::Waiting);
  rig.take_calls();
  reload(rig, {db, job("web", {}, {.autostart = false})}, t += 1s);
  CHECK(rig.take_calls() == Calls{"spawn web"});
  rig.sup.stop(rig.job("web"), kUser, t += 1s);
  rig.reap(pid_of(rig, "web"), ExitStatus::killed(SIGTERM), t += 10ms);
  rig.take_calls();
  reload(rig, {db, job("web", {{"db", Condition::Running}}, {.autostart = false})}, t += 1s);
  CHECK(rig.take_calls().empty());  // an edge changes no running job: it orders the next start
  rig.sup.start(rig.job("web"), kUser, t += 1s);
  CHECK(rig.take_calls() == Calls{"spawn db"});
  CHECK(rig.job("web").rt.state == JobState::Waiting);
}

TEST_CASE("a reload that changes a running job's check starts its health over", "[order][reload][health]") {
  auto db = job("db");
  db.health = tcp_check(1);
  Rig rig({db});
  FakeChecks checks;
  rig.sup.set_health_checks(&checks);
  TimePoint t{};
  rig.autostart(t);
  rig.sup.on_deadline(t += 1s);
  rig.sup.on_deadline(t);
  rig.sup.on_health_result("db", 1, true, "ok", t += 1ms);
  REQUIRE(rig.job("db").health.status == Health::Healthy);
  auto changed = db;
  changed.health->target = "127.0.0.1:6380";
  reload(rig, {changed}, t += 1s);
  CHECK(rig.job("db").health.status == Health::Starting);
  CHECK(rig.job("db").rt.state == JobState::Running);  // applied in place, no restart
  auto none = db;
  none.health.reset();
  reload(rig, {none}, t += 1s);
  CHECK(rig.job("db").health.status == Health::None);
  CHECK(rig.sup.status_of(rig.job("db"), t).health == std::nullopt);
}

// Random graphs (edges only to jobs defined before, so no cycles) and random event orders: no
// job is spawned before each of its conditions holds, and no stop signal reaches a job while
// a job that depends on it still has a process.
TEST_CASE("property: no job starts before its conditions hold and a stop never leaves a dependent running",
          "[order][property]") {
  std::mt19937 rng(20261206);
  for (int round = 0; round < 200; ++round) {
    const int n = 2 + static_cast<int>(rng() % 6);
    std::vector<JobSpec> specs;
    for (int i = 0; i < n; ++i) {
      std::vector<config::Dependency> deps;
      for (int j = 0; j < i; ++j)
        if (rng() % 3 == 0) deps.push_back({fmt::format("j{}", j), static_cast<Condition>(rng() % 2)});  // started, running
      specs.push_back(job(fmt::format("j{}", i), deps,
                          {.restart = RestartPolicy::Never, .start_secs = 1s, .autostart = rng() % 2 == 0}));
    }
    Rig rig(specs);
    std::vector<std::string> broken;
    rig.ops.on_spawn = [&](const JobSpec& spec) {
      for (const auto& d : spec.depends_on) {
        const Job* dep = rig.sup.find(d.job);
        if (progress(d.condition, rig.sup.order_view(*dep)) != Progress::Holds)
          broken.push_back(fmt::format("round {}: {} spawned while {} is {}", round, spec.name, d.job,
                                       to_string(dep->rt.state)));
      }
    };
    rig.ops.on_signal = [&](pid_t pid, int signo, bool) {
      if (signo != SIGTERM) return;
      const auto& name = rig.ops.owner.at(pid);
      for (const auto& other : rig.sup.jobs())
        for (const auto& d : other.spec.depends_on)
          if (d.job == name && other.process.pgid != 0 && rig.ops.live_groups.contains(other.process.pgid))
            broken.push_back(fmt::format("round {}: {} stopped while {} runs", round, name, other.spec.name));
    };
    TimePoint t{};
    rig.autostart(t);
    for (int step = 0; step < 60; ++step) {
      const auto& target = rig.sup.jobs()[rng() % static_cast<unsigned>(n)];
      switch (rng() % 5) {
      case 0: rig.sup.start(target, kUser, t); break;
      case 1: rig.sup.stop(target, kUser, t); break;
      case 2: rig.sup.on_deadline(t += std::chrono::milliseconds(rng() % 1500)); break;
      default:
        if (!rig.ops.live.empty()) {
          auto it = rig.ops.live.begin();
          std::advance(it, static_cast<long>(rng() % rig.ops.live.size()));
          rig.reap(*it, ExitStatus::exited(static_cast<int>(rng() % 2)), t += 10ms);
        }
      }
    }
    rig.sup.begin_shutdown(t);
    for (int guard = 0; guard < 100 && !rig.ops.live.empty(); ++guard)
      rig.reap(*rig.ops.live.begin(), ExitStatus::killed(SIGTERM), t += 10ms);
    CHECK(rig.sup.shutdown_complete());
    INFO(fmt::format("{}", fmt::join(broken, "\n")));
    CHECK(broken.empty());
    CHECK(rig.ops.violations.empty());
  }
}

}  // namespace
}  // namespace supd::daemon
