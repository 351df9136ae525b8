// What supctl prints, from fixed results: the status table and its LAST-EXIT column, the
// per-job lines, the signal/pid/shutdown lines, --json documents, and error lines.
#include <catch2/catch.hpp>

#include <csignal>
#include <string>
#include <vector>

#include "ctl/render.hpp"

namespace proto = supd::protocol;
using supd::common::ExitStatus;
using supd::ctl::render_result;

namespace {

proto::JobStatus running(std::string name, int pid, double uptime_s, int restarts = 0) {
  proto::JobStatus j;
  j.name = std::move(name);
  j.state = "running";
  j.pid = pid;
  j.uptime_s = uptime_s;
  j.restarts = restarts;
  return j;
}

proto::JobStatus idle(std::string name, std::string state) {
  proto::JobStatus j;
  j.name = std::move(name);
  j.state = std::move(state);
  return j;
}

}  // namespace

TEST_CASE("LAST-EXIT is the error, else the last exit described, else '-'", "[ctl][render]") {
  auto j = idle("amsa", "stopped");
  CHECK(supd::ctl::last_exit_text(j) == "-");
  j.last_exit = ExitStatus::exited(3);
  CHECK(supd::ctl::last_exit_text(j) == "exited 3");
  j.last_exit = ExitStatus::killed(SIGSEGV, true);
  CHECK(supd::ctl::last_exit_text(j) == "killed by SIGSEGV (core dumped)");
  j.error = "exec amsa.py: No such file or directory";
  CHECK(supd::ctl::last_exit_text(j) == "exec amsa.py: No such file or directory");
  j.error = "two\nlines";
  CHECK(supd::ctl::last_exit_text(j) == "two lines");
}

TEST_CASE("the status table has the header, aligned columns and upper-case states", "[ctl][render]") {
  auto web = running("web-frontend", 31337, 3 * 3600 + 5 * 60 + 9, 12);
  web.last_exit = ExitStatus::killed(SIGKILL);
  auto broken = idle("broken", "fatal");
  broken.error = "exec amsa.py: No such file or directory";
  auto done = idle("once", "exited");
  done.last_exit = ExitStatus::exited(0);
  const std::vector<proto::JobStatus> jobs{running("amsa", 4242, 192.4), web, broken, done,
                                           idle("idle", "stopped")};
  CHECK(supd::ctl::render_status_table(jobs) ==
        "NAME          STATE    PID    UPTIME  RESTARTS  LAST-EXIT\n"
        "amsa          RUNNING  4242   3m12s   0         -\n"
        "web-frontend  RUNNING  31337  3h05m   12        killed by SIGKILL\n"
        "broken        FATAL    -      -       0         exec amsa.py: No such file or directory\n"
        "once          EXITED   -      -       0         exited 0\n"
        "idle          STOPPED  -      -       0         -\n");
}

TEST_CASE("an empty job list is just the header", "[ctl][render]") {
  CHECK(supd::ctl::render_status_table({}) == "NAME  STATE  PID  UPTIME  RESTARTS  LAST-EXIT\n");
}

TEST_CASE("short uptimes read in milliseconds and seconds", "[ctl][render]") {
  const auto table = supd::ctl::render_status_table({running("a", 1, 0.85), running("b", 2, 42.9)});
  CHECK(table.find("a     RUNNING  1    850ms") != std::string::npos);
  CHECK(table.find("b     RUNNING  2    42s") != std::string::npos);
}

TEST_CASE("status renders from the result supd sends", "[ctl][render]") {
  const auto result = proto::jobs_result({running("amsa", 4242, 192.0)});
  const auto text = render_result(proto::Status{}, result);
  REQUIRE(text);
  CHECK(*text == "NAME  STATE    PID   UPTIME  RESTARTS  LAST-EXIT\n"
                 "amsa  RUNNING  4242  3m12s   0         -\n");
  CHECK_FALSE(render_result(proto::Status{}, nlohmann::json{{"jobs", 3}}));
  CHECK_FALSE(render_result(proto::Status{}, nlohmann::json::object()));
}

TEST_CASE("start, stop and restart print one line per job", "[ctl][render]") {
  auto fatal = idle("broken", "fatal");
  fatal.error = "exec nope: No such file or directory";
  auto exited = idle("once", "exited");
  exited.last_exit = ExitStatus::exited(2);
  const auto result = proto::jobs_result({running("amsa", 4242, 1.0), idle("web", "stopped"), fatal, exited});
  const std::string expected =
      "amsa: RUNNING (pid 4242)\n"
      "web: STOPPED\n"
      "broken: FATAL (exec nope: No such file or directory)\n"
      "once: EXITED (exited 2)\n";
  CHECK(render_result(proto::Start{{"all"}}, result) == expected);
  CHECK(render_result(proto::Stop{{"all"}}, result) == expected);
  CHECK(render_result(proto::Restart{{"all"}}, result) == expected);
}

TEST_CASE("signal, pid and shutdown results", "[ctl][render]") {
  const nlohmann::json sent{{"job", "amsa"}, {"pid", 4242}, {"signal", "USR1"}, {"group", false}};
  CHECK(render_result(proto::SignalJob{"amsa", "USR1", false}, sent) == "amsa: sent USR1 to pid 4242\n");
  const nlohmann::json group{{"job", "amsa"}, {"pid", 4242}, {"signal", "TERM"}, {"group", true}};
  CHECK(render_result(proto::SignalJob{"amsa", "TERM", true}, group) == "amsa: sent TERM to process group 4242\n");
  CHECK_FALSE(render_result(proto::SignalJob{"amsa", "TERM", true}, nlohmann::json::object()));

  CHECK(render_result(proto::Pid{"amsa"}, nlohmann::json{{"pid", 4242}}) == "4242\n");
  CHECK_FALSE(render_result(proto::Pid{"amsa"}, nlohmann::json{{"pid", nullptr}}));
  CHECK_FALSE(render_result(proto::Pid{"amsa"}, nlohmann::json{{"pid", "4242"}}));

  CHECK(render_result(proto::Shutdown{}, nlohmann::json{{"stopped", 3}}) == "supd stopped 3 jobs and exited\n");
  CHECK(render_result(proto::Shutdown{}, nlohmann::json{{"stopped", 1}}) == "supd stopped 1 job and exited\n");
  CHECK(render_result(proto::Shutdown{}, nlohmann::json{{"stopped", 0}}) == "supd stopped 0 jobs and exited\n");
}

TEST_CASE("json output prints the result as supd wrote it, one document", "[ctl][render]") {
  const std::string line =
      R"({"id":2,"ok":true,"result":{"jobs":[{"name":"amsa","state":"running","pid":4242,)"
      R"("uptime_s":12.5,"restarts":0,"last_exit":null,"error":null}]}})";
  CHECK(supd::ctl::render_json_result(line) ==
        R"({"jobs":[{"name":"amsa","state":"running","pid":4242,"uptime_s":12.5,"restarts":0,)"
        R"("last_exit":null,"error":null}]})"
        "\n");
  CHECK(supd::ctl::render_json_result(R"({"id":3,"ok":true,"result":{"pid":4242}})") == "{\"pid\":4242}\n");
  CHECK_FALSE(supd::ctl::render_json_result("not json"));
  CHECK_FALSE(supd::ctl::render_json_result(R"({"id":3,"ok":false,"error":{}})"));
}

TEST_CASE("an error response becomes one line with a next step", "[ctl][render]") {
  using proto::ErrorCode;
  CHECK(supd::ctl::error_text({ErrorCode::UnknownJob, "no job named 'nope'"}) ==
        "no job named 'nope'; see: supctl status");
  CHECK(supd::ctl::error_text({ErrorCode::NotRunning, "amsa is not running"}) ==
        "amsa is not running; see: supctl status");
  CHECK(supd::ctl::error_text({ErrorCode::StartFailed, "amsa: exec amsa.py: No such file or directory"}) ==
        "amsa: exec amsa.py: No such file or directory; see: supctl status");
  CHECK(supd::ctl::error_text({ErrorCode::UnknownJob, "no job 'x'; see: supctl status"}) ==
        "no job 'x'; see: supctl status");  // no hint twice
  CHECK(supd::ctl::error_text({ErrorCode::NotRunning, "job 'a' is not running; start it with: supctl start a"}) ==
        "job 'a' is not running; start it with: supctl start a");  // supd's own next step
  const auto multi = supd::ctl::error_text({ErrorCode::Internal, "first\nsecond\r\n"});
  CHECK(multi.find('\n') == std::string::npos);
  CHECK(supd::ctl::error_text({ErrorCode::ShuttingDown, ""}).find("shutting_down") == 0);
}

TEST_CASE("reload renders one line per job that changed", "[ctl][render]") {
  const auto result = nlohmann::json::parse(R"({"dry_run":false,"applied":true,"jobs":[
    {"name":"amsa","change":"changed","restart":true,"fields":[{"field":"command","old":"a","new":"b","restart":true},
                                                                {"field":"log_keep","old":"5","new":"2","restart":false}]},
    {"name":"keep","change":"unchanged","restart":false,"fields":[]},
    {"name":"web","change":"added","restart":false,"fields":[]},
    {"name":"tune","change":"changed","restart":false,"fields":[{"field":"stop_timeout","old":"10s","new":"3s","restart":false}]},
    {"name":"old","change":"removed","restart":false,"fields":[]}],"supd":[],"warnings":[],"errors":[]})");
  CHECK(render_result(proto::Reload{}, result) ==
        "amsa: changed command, log_keep (restart)\n+ web: added\ntune: changed stop_timeout (in place)\n- old: removed\n");
  // What was done, where the diff alone would mislead: a fatal job is not restarted.
  const auto fatal = nlohmann::json::parse(R"({"dry_run":false,"applied":true,"jobs":[
    {"name":"amsa","change":"changed","restart":true,"action":"next start",
     "fields":[{"field":"directory","old":"/a","new":"/b","restart":true}]},
    {"name":"web","change":"changed","restart":true,"action":"restart",
     "fields":[{"field":"command","old":"a","new":"b","restart":true}]}],"supd":[],"warnings":[],"errors":[]})");
  CHECK(render_result(proto::Reload{}, fatal) ==
        "amsa: changed directory (takes effect at its next start)\nweb: changed command (restart)\n");
  const auto none = nlohmann::json::parse(
      R"({"dry_run":true,"applied":false,"jobs":[{"name":"keep","change":"unchanged","fields":[]}],"supd":[],"warnings":[],"errors":[]})");
  CHECK(render_result(proto::Reload{true}, none) == "no changes\n(dry run: nothing was changed)\n");
  const auto bad = nlohmann::json::parse(R"({"dry_run":false,"applied":false,"jobs":[],"errors":["supd.toml:3:1: x"]})");
  CHECK(render_result(proto::Reload{}, bad) == "");
  // The errors supctl reports for a refused reload (its stderr line: client_test.cpp).
  CHECK(proto::Reload::Reply::from_json(bad)->errors == std::vector<std::string>{"supd.toml:3:1: x"});
  CHECK(render_result(proto::Persist{"web"}, nlohmann::json{{"job", "web"}, {"config", "/c/supd.toml"}, {"created", true}}) ==
        "web: added to /c/supd.toml (created)\n");
  // What the file's [defaults] now adds to the job is said, not left for a surprise.
  const auto defaults = nlohmann::json::parse(
      R"({"job":"web","config":"/c/supd.toml","created":false,"from_defaults":[)"
      R"({"field":"stop_timeout","old":"10s","new":"30s","restart":false},)"
      R"({"field":"ignore_signals","old":"[HUP]","new":"[]","restart":true}]})");
  CHECK(render_result(proto::Persist{"web"}, defaults) ==
        "web: added to /c/supd.toml; from [defaults]: stop_timeout = 30s (was 10s), ignore_signals = [] (was [HUP]); "
        "takes effect at its next start\n");
  CHECK(render_result(proto::Remove{"web"}, nlohmann::json{{"job", "web"}, {"removed", true}}) == "web: removed\n");
  CHECK(render_result(proto::Remove{"web", false}, nlohmann::json{{"job", "web"}, {"removed", false}}) ==
        "web: stopping; removed once its processes are gone\n");
}
