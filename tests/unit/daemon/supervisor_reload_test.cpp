// Supervisor::plan_reload/apply_reload and ad-hoc jobs over the fakes: what a reload starts,
// stops, restarts and leaves alone, and when a removed job leaves the list.
#include <catch2/catch.hpp>

#include "daemon/core/supervisor.hpp"
#include "daemon_fakes.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using namespace test;
using common::ExitStatus;
using Calls = std::vector<std::string>;

void reload(Rig& rig, const config::Config& next, TimePoint now) {
  rig.sup.apply_reload(next, rig.sup.plan_reload(next), now);
}

TEST_CASE("a reload restarts a changed command, keeps in-place changes, adds and removes", "[supervisor][reload]") {
  Rig rig({named_spec("keep"), named_spec("cmd"), named_spec("gone", {.stop_timeout = 5s})});
  TimePoint t{};
  rig.autostart(t);
  rig.sup.on_deadline(t += 1s);
  rig.take_calls();  // spawn keep 1000, cmd 1001, gone 1002

  auto keep = named_spec("keep", {.stop_timeout = 3s});
  auto cmd = named_spec("cmd");
  cmd.argv = {"cmd", "--new"};
  const auto next = config_of({keep, cmd, named_spec("web"), named_spec("manual", {.autostart = false})});
  const auto diff = rig.sup.plan_reload(next);
  REQUIRE(diff.jobs.size() == 5);
  rig.sup.apply_reload(next, diff, t += 1s);
  CHECK(rig.take_calls() == Calls{"signal 1001 TERM group", "spawn web", "signal 1002 TERM group"});
  CHECK(rig.job("keep").spec.stop_timeout == 3s);
  CHECK(rig.job("keep").rt.state == JobState::Running);
  CHECK(rig.job("cmd").spec.argv == std::vector<std::string>{"cmd", "--new"});
  CHECK(rig.job("manual").rt.state == JobState::Stopped);
  CHECK(rig.job("gone").life.removing);
  CHECK(rig.job("gone").rt.state == JobState::Stopping);  // listed until its group is empty

  rig.reap(1001, ExitStatus::killed(SIGTERM), t += 10ms);
  CHECK(rig.take_calls() == Calls{"spawn cmd"});
  rig.reap(1002, ExitStatus::killed(SIGTERM), t += 10ms);
  CHECK(rig.sup.find("gone") == nullptr);
  CHECK(rig.sup.jobs().size() == 4);

  // The same config again: nothing to do.
  CHECK_FALSE(rig.sup.plan_reload(next).has_changes());
}

TEST_CASE("a restart-class change to a stopped job only takes the new spec", "[supervisor][reload]") {
  Rig rig({named_spec("idle", {.autostart = false})});
  auto changed = named_spec("idle", {.autostart = false});
  changed.environment = {{"A", "1"}};
  reload(rig, config_of({changed}), TimePoint{});
  CHECK(rig.ops.calls.empty());
  CHECK(rig.job("idle").spec.environment.size() == 1);
}

TEST_CASE("ad-hoc jobs survive a reload unless the config takes the name", "[supervisor][reload]") {
  Rig rig({named_spec("conf")});
  TimePoint t{};
  protocol::Run req;
  req.name = "adhoc";
  rig.sup.start(rig.sup.add_run_job(named_spec("adhoc"), req), Origin::supd(), t);
  protocol::Run req2;
  req2.name = "taken";
  rig.sup.add_run_job(named_spec("taken"), req2);
  CHECK_FALSE(rig.job("adhoc").from_config());
  CHECK(rig.sup.status_of(rig.job("adhoc"), t).origin == "run");
  CHECK(rig.sup.status_of(rig.job("conf"), t).origin == "config");

  const auto next = config_of({named_spec("conf"), named_spec("taken")});
  const auto diff = rig.sup.plan_reload(next);
  CHECK_FALSE(diff.has_changes());  // "taken" matches what runs: unchanged, just adopted
  rig.sup.apply_reload(next, diff, t);
  CHECK(rig.sup.find("adhoc") != nullptr);
  CHECK_FALSE(rig.job("adhoc").life.removing);
  CHECK(rig.job("taken").from_config());

  // A reload that drops every config job leaves the ad-hoc one.
  reload(rig, config_of({}), t);
  CHECK(rig.sup.find("adhoc") != nullptr);
  CHECK(rig.sup.find("conf") == nullptr);  // it never ran: removed at once
}

TEST_CASE("finished ad-hoc jobs beyond the history bound are forgotten, oldest first (R90)", "[supervisor][run][R90]") {
  Rig rig({named_spec("conf")});
  rig.sup.set_run_history(3);
  TimePoint t{};
  const auto run = [&](const std::string& name) {
    protocol::Run req;
    req.name = name;
    auto spec = named_spec(name);
    spec.restart = config::RestartPolicy::Never;
    const Job& job = rig.sup.add_run_job(spec, req);
    rig.sup.start(job, Origin::supd(), t);
    return rig.job(name).process.pid;
  };
  const pid_t still_running = run("r0");
  for (int i = 1; i <= 5; ++i) rig.reap(run("r" + std::to_string(i)), ExitStatus::exited(0), t += 1s);
  // Five finished, three kept: r1 and r2 (started first) are gone, with their events.
  CHECK(rig.sup.find("r1") == nullptr);
  CHECK(rig.sup.find("r2") == nullptr);
  CHECK(rig.sup.events().history(std::string("r1")).empty());
  for (const char* kept : {"r3", "r4", "r5"}) CHECK(rig.sup.find(kept) != nullptr);
  // A job with a process, and config jobs, are never forgotten.
  CHECK(rig.sup.find("r0") != nullptr);
  CHECK(rig.sup.find("conf") != nullptr);
  rig.reap(still_running, ExitStatus::exited(0), t += 1s);
  // Four finished now: the one started first goes, though it finished last.
  CHECK(rig.sup.find("r0") == nullptr);
  CHECK(rig.sup.find("r3") != nullptr);
}

TEST_CASE("remove stops an ad-hoc job as stop does and forgets it with its events once its group is empty",
          "[supervisor][run][remove]") {
  Rig rig({named_spec("conf")});
  TimePoint t{};
  protocol::Run req;
  req.name = "web";
  rig.sup.start(rig.sup.add_run_job(named_spec("web", {.stop_timeout = 5s}), req), Origin::supd(), t);
  const pid_t pid = rig.job("web").process.pid;
  rig.take_calls();

  rig.sup.remove_run_job(rig.job("web"), Origin::supd(), t += 1s);
  CHECK(rig.take_calls() == Calls{"signal " + std::to_string(pid) + " TERM group"});
  CHECK(rig.job("web").rt.state == JobState::Stopping);
  rig.sup.start(rig.job("web"), Origin::supd(), t);  // being removed: not started again
  CHECK(rig.take_calls().empty());
  rig.sup.on_deadline(t += 5s);  // stop_timeout: SIGKILL, as stop does
  CHECK(rig.take_calls() == Calls{"signal " + std::to_string(pid) + " KILL group"});
  CHECK(rig.sup.find("web") != nullptr);  // listed until its group is empty

  rig.reap(pid, ExitStatus::killed(SIGKILL), t += 10ms);
  CHECK(rig.sup.find("web") == nullptr);
  CHECK(rig.sup.events().history(std::string("web")).empty());
  const auto all = rig.sup.events().history(std::nullopt);
  REQUIRE_FALSE(all.empty());
  CHECK(all.back().reason == "remove: ad-hoc job web stopped and forgotten");
  CHECK(rig.sup.find("conf") != nullptr);

  // An ad-hoc job with no process goes at once.
  protocol::Run idle_req;
  idle_req.name = "idle";
  rig.sup.add_run_job(named_spec("idle"), idle_req);
  rig.sup.remove_run_job(rig.job("idle"), Origin::supd(), t);
  CHECK(rig.sup.find("idle") == nullptr);
  CHECK(rig.take_calls().empty());
}

}  // namespace
}  // namespace supd::daemon
