// supctl's command line: each command's request, option placement, `--`, and every
// usage error (exit 2) with its one-line message.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <functional>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/signals.hpp"
#include "ctl/cli.hpp"
#include "ctl/run.hpp"

using namespace std::chrono_literals;
using supd::ctl::ParsedCli;
using supd::ctl::UsageError;
namespace proto = supd::protocol;

namespace {

ParsedCli parse(std::vector<std::string> args) { return supd::ctl::parse_cli(args); }

proto::Command command(std::vector<std::string> args) { return parse(std::move(args)).command; }

// The UsageError message for a command line that must be refused.
std::string usage_error(std::vector<std::string> args) {
  try {
    supd::ctl::parse_cli(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  FAIL("expected a usage error");
  return {};
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

}  // namespace

TEST_CASE("status builds one status request and list is its alias and all means every job", "[ctl][cli]") {
  CHECK(command({"status"}) == proto::Command{proto::Status{}});
  CHECK(command({"list"}) == proto::Command{proto::Status{}});
  CHECK(command({"status", "amsa", "web"}) == proto::Command{proto::Status{{"amsa", "web"}}});
  CHECK(command({"status", "all"}) == proto::Command{proto::Status{}});
  CHECK(parse({"list"}).sub->name == "status");
}

TEST_CASE("start, stop and restart take jobs, `all`, and --no-wait anywhere", "[ctl][cli]") {
  CHECK(command({"start", "amsa"}) == proto::Command{proto::Start{{"amsa"}, true}});
  CHECK(command({"stop", "a", "b"}) == proto::Command{proto::Stop{{"a", "b"}, true}});
  CHECK(command({"restart", "amsa"}) == proto::Command{proto::Restart{{"amsa"}, true}});
  CHECK(command({"restart", "all"}) == proto::Command{proto::Restart{{"all"}, true}});
  CHECK(command({"stop", "a", "all"}) == proto::Command{proto::Stop{{"all"}, true}});
  CHECK(command({"stop", "--no-wait", "amsa"}) == proto::Command{proto::Stop{{"amsa"}, false}});
  CHECK(command({"stop", "amsa", "--no-wait"}) == proto::Command{proto::Stop{{"amsa"}, false}});
  CHECK(command({"start", "a", "--no-wait", "b"}) == proto::Command{proto::Start{{"a", "b"}, false}});
  CHECK(command({"restart", "--no-wait", "all"}) == proto::Command{proto::Restart{{"all"}, false}});
}

TEST_CASE("signal accepts every documented form and sends the canonical name", "[ctl][cli][R8]") {
  const auto [text, name] = GENERATE(table<std::string, std::string>({
      {"USR1", "USR1"},
      {"SIGUSR1", "USR1"},
      {"usr1", "USR1"},
      {"sigusr1", "USR1"},
      {"10", "USR1"},
      {"TERM", "TERM"},
      {"9", "KILL"},
      {"RTMIN+2", "RTMIN+2"},
      {"SIGRTMIN+2", "RTMIN+2"},
      {"rtmin", "RTMIN"},
  }));
  CAPTURE(text);
  CHECK(command({"signal", "amsa", text}) == proto::Command{proto::SignalJob{"amsa", name, false}});
}

TEST_CASE("signal sends RTMIN+2 as the number the job will receive", "[ctl][cli]") {
  const auto c = std::get<proto::SignalJob>(command({"signal", "amsa", "RTMIN+2"}));
  CHECK(supd::common::parse_signal(c.signal) == SIGRTMIN + 2);
}

TEST_CASE("signal --group may come anywhere", "[ctl][cli]") {
  const proto::Command grouped = proto::SignalJob{"amsa", "TERM", true};
  CHECK(command({"signal", "--group", "amsa", "TERM"}) == grouped);
  CHECK(command({"signal", "amsa", "--group", "TERM"}) == grouped);
  CHECK(command({"signal", "amsa", "TERM", "--group"}) == grouped);
  CHECK(command({"--json", "signal", "amsa", "TERM", "--group"}) == grouped);
}

TEST_CASE("signal refuses unknown signals client-side, listing the accepted forms", "[ctl][cli][R9]") {
  const std::string bad = GENERATE(as<std::string>{}, "SIGFOO", "0", "-99", "65", "RTMIN+99", "",
                                   "+10", "10abc", "SIGTREM", "RTMAX+1");
  CAPTURE(bad);
  const auto message = usage_error({"signal", "amsa", bad});
  CHECK(message.find("unknown signal '" + bad + "'") != std::string::npos);
  CHECK(message.find(std::string(supd::common::accepted_signal_forms())) != std::string::npos);
  CHECK(one_line(message));
}

TEST_CASE("the unknown-signal message reads as documented", "[ctl][cli]") {
  CHECK(usage_error({"signal", "amsa", "SIGFOO"}) ==
        "unknown signal 'SIGFOO'; use " + std::string(supd::common::accepted_signal_forms()));
}

TEST_CASE("pid and shutdown", "[ctl][cli]") {
  CHECK(command({"pid", "amsa"}) == proto::Command{proto::Pid{"amsa"}});
  CHECK(command({"shutdown"}) == proto::Command{proto::Shutdown{}});
  CHECK(command({"shutdown", "--leave-running"}) == proto::Command{proto::Shutdown{true}});
  CHECK(command({"upgrade"}) == proto::Command{proto::Upgrade{}});
}

TEST_CASE("global options go before the command, after it, or between its arguments", "[ctl][cli]") {
  SECTION("--json") {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--json", "status"}, {"status", "--json"}, {"status", "amsa", "--json"}, {"list", "--json", "amsa"}}) {
      CAPTURE(args);
      const auto p = parse(args);
      CHECK(p.options.json);
      CHECK(std::holds_alternative<proto::Status>(p.command));
    }
    CHECK_FALSE(parse({"status"}).options.json);
  }
  SECTION("--socket") {
    CHECK(parse({"--socket", "/tmp/s.sock", "status"}).options.socket == "/tmp/s.sock");
    CHECK(parse({"status", "--socket", "/tmp/s.sock"}).options.socket == "/tmp/s.sock");
    CHECK(parse({"--socket=/tmp/s.sock", "pid", "amsa"}).options.socket == "/tmp/s.sock");
    CHECK(parse({"stop", "amsa", "--socket", "/tmp/s.sock", "--no-wait"}).options.socket == "/tmp/s.sock");
    CHECK_FALSE(parse({"status"}).options.socket);
  }
  SECTION("--timeout") {
    CHECK(parse({"--timeout", "5s", "stop", "amsa"}).options.timeout == 5s);
    CHECK(parse({"stop", "amsa", "--timeout", "500ms"}).options.timeout == 500ms);
    CHECK(parse({"stop", "amsa", "--timeout=2m"}).options.timeout == 120s);
    CHECK_FALSE(parse({"stop", "amsa"}).options.timeout);
  }
  SECTION("a repeated option keeps its last value") {
    CHECK(parse({"--socket", "/a", "status", "--socket", "/b"}).options.socket == "/b");
    CHECK(parse({"--json", "status", "--json"}).options.json);
  }
}

TEST_CASE("`--` ends options: what follows is a job name", "[ctl][cli]") {
  CHECK(command({"stop", "--", "amsa"}) == proto::Command{proto::Stop{{"amsa"}, true}});
  CHECK(command({"stop", "--no-wait", "--", "amsa"}) == proto::Command{proto::Stop{{"amsa"}, false}});
  // -x after `--` is a name, not an option; it is not a valid one.
  const auto m = usage_error({"stop", "--", "-x"});
  CHECK(m.find("invalid job name '-x'") != std::string::npos);
  CHECK(usage_error({"status", "--", "--json"}).find("invalid job name '--json'") != std::string::npos);
  // Without `--`, -x is an unknown option.
  CHECK(usage_error({"stop", "-x"}) == "unknown option '-x'; see: supctl stop --help");
  // A job may be named like a command.
  CHECK(command({"status", "stop"}) == proto::Command{proto::Status{{"stop"}}});
  CHECK(command({"stop", "--", "pid"}) == proto::Command{proto::Stop{{"pid"}, true}});
}

TEST_CASE("invalid job names are usage errors, shown safely on one line", "[ctl][cli]") {
  const std::string name = GENERATE(as<std::string>{}, "a/b", ".", "..", "", std::string(10 * 1024, 'x'),
                                    "a\nb", "a b", "caf\xc3\xa9");
  const std::string cmd = GENERATE(as<std::string>{}, "status", "start", "stop", "restart", "pid");
  CAPTURE(cmd, name);
  const auto m = usage_error({cmd, "--", name});
  CHECK(m.find("invalid job name") != std::string::npos);
  CHECK(one_line(m));
  CHECK(m.size() < 300);
  CHECK(usage_error({"signal", "--", name, "USR1"}).find("invalid job name") != std::string::npos);
}

TEST_CASE("missing and extra arguments name what is wrong and show the usage", "[ctl][cli]") {
  CHECK(usage_error({"signal", "amsa"}) == "missing argument SIG for signal; usage: supctl signal JOB SIG [--group] [--expect REGEX]");
  CHECK(usage_error({"signal"}) == "missing argument JOB for signal; usage: supctl signal JOB SIG [--group] [--expect REGEX]");
  CHECK(usage_error({"pid"}) == "missing argument JOB for pid; usage: supctl pid JOB");
  CHECK(usage_error({"start"}) == "missing argument JOB for start; usage: supctl start JOB... [--no-wait]");
  CHECK(usage_error({"stop", "--no-wait"}).find("missing argument JOB for stop") == 0);
  CHECK(usage_error({"restart"}).find("missing argument JOB for restart") == 0);
  CHECK(usage_error({"pid", "a", "b"}) == "unexpected argument 'b' for pid; usage: supctl pid JOB");
  CHECK(usage_error({"signal", "a", "TERM", "x"}).find("unexpected argument 'x' for signal") == 0);
  CHECK(usage_error({"shutdown", "now"}) == "unexpected argument 'now' for shutdown; usage: supctl shutdown [--leave-running]");
}

TEST_CASE("no command, an unknown command, an unknown option", "[ctl][cli]") {
  CHECK(usage_error({}).find("no command given; usage: supctl ") == 0);
  CHECK(usage_error({"--json"}).find("no command given") == 0);
  CHECK(usage_error({"frobnicate"}) == "unknown command 'frobnicate'; see: supctl --help");
  CHECK(usage_error({"stpo", "amsa"}) == "unknown command 'stpo'; did you mean 'stop'? see: supctl --help");
  CHECK(usage_error({"Status"}).find("did you mean 'status'?") != std::string::npos);
  CHECK(usage_error({"lst"}).find("did you mean 'status'?") != std::string::npos);
  CHECK(usage_error({"--bogus", "status"}).find("unknown option '--bogus'; see: supctl") == 0);
  CHECK(usage_error({"--bogus"}) == "unknown option '--bogus'; see: supctl --help");
  CHECK(usage_error({"status", "--bogus"}) == "unknown option '--bogus'; see: supctl status --help");
  CHECK(usage_error({"status", "--group"}).find("unknown option '--group'") == 0);
  CHECK(usage_error({"pid", "amsa", "--no-wait"}).find("unknown option '--no-wait'") == 0);
  CHECK(usage_error({"--", "status"}).find("'--' ends options") == 0);
}

TEST_CASE("option values are checked", "[ctl][cli]") {
  CHECK(usage_error({"--timeout", "soon", "status"}) ==
        "invalid --timeout 'soon'; use a duration like 10s, 500ms or 2m");
  CHECK(usage_error({"status", "--timeout", "-1s"}).find("invalid --timeout") == 0);
  CHECK(one_line(usage_error({"status", "--socket"})));
  CHECK(usage_error({"status", "--socket"}).find("--socket") != std::string::npos);
}

TEST_CASE("every usage error is one line", "[ctl][cli]") {
  const std::vector<std::vector<std::string>> lines{
      {}, {"x"}, {"status", "--socket"}, {"--timeout"}, {"signal"}, {"signal", "a", "b"},
      {"pid", "a\nb"}, {"status", "-"}};
  for (const auto& args : lines) {
    CAPTURE(args);
    CHECK(one_line(usage_error(args)));
  }
}

TEST_CASE("help and version flags print and succeed", "[ctl][cli]") {
  auto p = parse({"--help"});
  CHECK(p.action == ParsedCli::Action::Print);
  CHECK(p.text.find("Usage: supctl [--socket PATH] [--json] [--timeout DURATION] [--host HOST,...] COMMAND") != std::string::npos);
  for (const auto& s : supd::ctl::subcommands()) CHECK(p.text.find(std::string(s.help)) != std::string::npos);
  p = parse({"signal", "--help"});
  CHECK(p.action == ParsedCli::Action::Print);
  CHECK(p.text.find("Usage: supctl signal JOB SIG [--group]") != std::string::npos);
  CHECK(parse({"status", "-h"}).action == ParsedCli::Action::Print);
  p = parse({"--version"});
  CHECK(p.action == ParsedCli::Action::Print);
  CHECK(p.text.find("supctl ") == 0);
}

TEST_CASE("the help lists the commands in their rank order, each rank once", "[ctl][cli]") {
  std::vector<std::string> names;
  std::vector<int> ranks;
  for (const auto& s : supd::ctl::subcommands()) {
    names.emplace_back(s.name);
    ranks.push_back(s.rank);
  }
  CHECK(names == std::vector<std::string>{"status", "stats", "top", "start", "stop", "restart", "signal", "pid", "shutdown",
                                          "logs", "events", "why", "doctor", "reload", "graph", "run", "persist", "remove",
                                          "inspect", "upgrade", "export", "bridge", "help"});
  CHECK(std::adjacent_find(ranks.begin(), ranks.end(), std::greater_equal<>()) == ranks.end());
  const auto help = parse({"--help"}).text;
  std::size_t at = 0;
  for (const auto& name : names) {
    CAPTURE(name);
    const auto next = help.find("\n  " + name + " ", at);
    REQUIRE(next != std::string::npos);
    at = next + 1;
  }
}

TEST_CASE("time limits: 10s by default, none for waiting commands unless --timeout", "[ctl][cli]") {
  using supd::ctl::limits_for;
  const auto limits = [](std::vector<std::string> args) {
    const auto p = supd::ctl::parse_cli(args);
    return limits_for(p.options, p.command);
  };
  CHECK(limits({"status"}).connect == 10s);
  CHECK(limits({"status"}).request == 10s);
  CHECK(limits({"pid", "a"}).request == 10s);
  CHECK(limits({"stop", "a", "--no-wait"}).request == 10s);
  CHECK(limits({"stop", "a"}).connect == 10s);
  CHECK_FALSE(limits({"stop", "a"}).request);
  CHECK_FALSE(limits({"start", "a"}).request);
  CHECK_FALSE(limits({"restart", "all"}).request);
  CHECK_FALSE(limits({"shutdown"}).request);
  CHECK(limits({"stop", "a", "--timeout", "3s"}).request == 3s);
  CHECK(limits({"--timeout", "3s", "status"}).connect == 3s);
  CHECK_FALSE(limits({"--timeout", "0", "status"}).request);
  CHECK_FALSE(limits({"--timeout", "0", "status"}).connect);
}

TEST_CASE("logs builds its request from JOB, -n, -f, --stderr and --reopen", "[ctl][cli]") {
  CHECK(command({"logs", "amsa"}) == proto::Command{proto::Logs{"amsa", 10, false, false, false}});
  CHECK(command({"logs", "amsa", "-n", "5"}) == proto::Command{proto::Logs{"amsa", 5, false, false, false}});
  CHECK(command({"logs", "-f", "amsa", "-n", "0"}) == proto::Command{proto::Logs{"amsa", 0, true, false, false}});
  CHECK(command({"logs", "amsa", "--lines", "7", "--follow", "--stderr"}) ==
        proto::Command{proto::Logs{"amsa", 7, true, true, false}});
  CHECK(command({"logs", "--reopen"}) == proto::Command{proto::Logs{"", 10, false, false, true}});
  CHECK(one_line(usage_error({"logs"})));
  CHECK(one_line(usage_error({"logs", "amsa", "-n", "-3"})));
  CHECK(one_line(usage_error({"logs", "amsa", "-n", "many"})));
  CHECK(one_line(usage_error({"logs", "amsa", "--reopen"})));
  // Several jobs (or all): the merged view; the request is the first job's, the rest in args.
  const auto several = parse({"logs", "a", "b", "-f"});
  CHECK(std::get<proto::Logs>(several.command).job == "a");
  CHECK(several.args == std::vector<std::string>{"a", "b"});
  CHECK(one_line(usage_error({"logs", "a", "b/c"})));
}

TEST_CASE("reload, run and persist build their requests", "[ctl][cli]") {
  CHECK(command({"reload"}) == proto::Command{proto::Reload{false, true}});  // waits as start does
  CHECK(command({"reload", "--no-wait"}) == proto::Command{proto::Reload{false, false}});
  CHECK(command({"reload", "--dry-run"}) == proto::Command{proto::Reload{true, false}});
  CHECK(command({"persist", "web"}) == proto::Command{proto::Persist{"web"}});

  // Options before `--` are run's; everything after it is the command, options included.
  const auto c = command({"--json", "run", "web", "--restart", "always", "--env", "A=1", "--env", "B=x=y",
                          "--directory", "/srv/www/", "--stdout", "w.log", "--no-wait", "--", "python3", "-m",
                          "http.server", "--bind", "::1"});
  const auto* run = std::get_if<proto::Run>(&c);
  REQUIRE(run);
  CHECK(run->name == "web");
  CHECK(run->argv == std::vector<std::string>{"python3", "-m", "http.server", "--bind", "::1"});
  CHECK(run->directory == "/srv/www");
  CHECK(run->environment == std::map<std::string, std::string>{{"A", "1"}, {"B", "x=y"}});
  CHECK(run->restart == "always");
  CHECK(run->stdout_file == "w.log");
  CHECK_FALSE(run->wait);
  CHECK(supd::ctl::waits_for_jobs(command({"run", "x", "--", "true"})));

  // The default directory is the cwd, absolute; a relative one is made absolute.
  const auto d = std::get<proto::Run>(command({"run", "x", "--directory", "sub", "--", "true"}));
  CHECK(d.directory == (std::filesystem::current_path() / "sub").string());
  CHECK(std::get<proto::Run>(command({"run", "x", "--", "true"})).directory ==
        std::filesystem::current_path().lexically_normal().string());
}

TEST_CASE("run's usage errors", "[ctl][cli]") {
  CHECK(usage_error({"run", "x"}).find("missing command") != std::string::npos);
  CHECK(usage_error({"run", "x", "--"}).find("missing command") != std::string::npos);
  CHECK(usage_error({"run", "x", "sleep", "1"}).find("put '--' before the command") != std::string::npos);
  CHECK(usage_error({"run", "--", "sleep"}).find("missing argument NAME") != std::string::npos);
  CHECK(usage_error({"run", "a/b", "--", "true"}).find("invalid job name") != std::string::npos);
  CHECK(usage_error({"run", "x", "--restart", "sometimes", "--", "true"}).find("--restart") != std::string::npos);
  CHECK(usage_error({"run", "x", "--env", "NOEQUALS", "--", "true"}).find("--env") != std::string::npos);
  CHECK(one_line(usage_error({"run", "x"})));
  CHECK(usage_error({"reload", "extra"}).find("unexpected argument") != std::string::npos);
}

TEST_CASE("logs --since further back than 1970 is a usage error, not a time before the epoch", "[ctl][cli]") {
  const auto ok = std::get<proto::Logs>(command({"logs", "web", "--since", "10m"}));
  REQUIRE(ok.since_ms);
  CHECK(*ok.since_ms > 0);
  for (const char* huge : {"9223372036854775", "100000000d", "9223372036854775807ms"}) {
    INFO(huge);
    const auto message = usage_error({"logs", "web", "--since", huge});
    CHECK(one_line(message));
    CHECK(message == std::string("invalid --since '") + huge +
                         "': that is before 1970; give a duration back from now, e.g. 10m, 2h, 1d");
  }
  CHECK(usage_error({"logs", "web", "--since", "99999999999999999999"}) ==
        "invalid --since '99999999999999999999'; give a duration back from now, e.g. 10m, 2h, 1d");
}

TEST_CASE("R91: run refuses the reserved job name `all` before sending anything", "[ctl][cli][R91]") {
  const auto message = usage_error({"run", "all", "--", "sleep", "1"});
  CHECK(one_line(message));
  CHECK(message == "job name 'all' is reserved (supctl start/stop/restart/status all means every job); pick "
                   "another name");
}

TEST_CASE("supctl help CMD prints what CMD --help prints and help alone the command list", "[ctl][cli]") {
  for (const auto& s : supd::ctl::subcommands()) {
    const std::string name(s.name);
    CAPTURE(name);
    const auto p = parse({"help", name});
    CHECK(p.action == ParsedCli::Action::Print);
    if (name != "help") CHECK(p.text == parse({name, "--help"}).text);
  }
  CHECK(parse({"help"}).text == parse({"--help"}).text);
  CHECK(parse({"help", "help"}).text == parse({"--help"}).text);
  CHECK(parse({"--json", "help", "list"}).text == parse({"status", "--help"}).text);
  CHECK(parse({"help", "signal"}).text.find("Usage: supctl signal JOB SIG") != std::string::npos);
  CHECK(parse({"help"}).text.find("\n  help [COMMAND]") != std::string::npos);
  CHECK(usage_error({"help", "stat"}) == "unknown command 'stat'; did you mean 'status'? see: supctl --help");
  CHECK(one_line(usage_error({"help", "stop", "start"})));
  // A job named help is still a job.
  const auto stop = command({"stop", "help"});
  REQUIRE(std::holds_alternative<proto::Stop>(stop));
  CHECK(std::get<proto::Stop>(stop).jobs == std::vector<std::string>{"help"});
}

TEST_CASE("signal in supervisorctl's order or with kill's dash shows the right form", "[ctl][cli]") {
  CHECK(usage_error({"signal", "USR1", "amsa"}) == "signal takes JOB then SIGNAL: supctl signal amsa USR1");
  CHECK(usage_error({"signal", "SIGTERM", "web", "--group"}) ==
        "signal takes JOB then SIGNAL: supctl signal web SIGTERM");
  CHECK(usage_error({"signal", "amsa", "-USR1"}) ==
        "signal takes JOB then SIGNAL, without a dash: supctl signal amsa USR1");
  CHECK(usage_error({"signal", "-USR1", "amsa"}) ==
        "signal takes JOB then SIGNAL, without a dash: supctl signal amsa USR1");
  CHECK(usage_error({"--json", "signal", "-9", "amsa"}) ==
        "signal takes JOB then SIGNAL, without a dash: supctl signal amsa 9");
  CHECK(usage_error({"signal", "-HUP"}) == "signal takes JOB then SIGNAL, without a dash: supctl signal JOB HUP");
  // The right order, options and their values are left alone.
  CHECK(std::holds_alternative<proto::SignalJob>(command({"signal", "amsa", "USR1"})));
  CHECK(std::holds_alternative<proto::SignalJob>(command({"signal", "amsa", "USR1", "--expect", "-x"})));
  CHECK(std::holds_alternative<proto::SignalJob>(command({"signal", "10", "HUP"})));  // a job named 10
}

TEST_CASE("a misspelt command suggests the one meant: stat is status", "[ctl][cli]") {
  CHECK(usage_error({"stat"}) == "unknown command 'stat'; did you mean 'status'? see: supctl --help");
  CHECK(usage_error({"kill", "amsa", "USR1"}).find("did you mean 'signal'?") != std::string::npos);
  CHECK(usage_error({"tail", "amsa"}).find("did you mean 'logs'?") != std::string::npos);
  CHECK(usage_error({"update"}).find("did you mean 'reload'?") != std::string::npos);
  CHECK(usage_error({"strat"}).find("did you mean 'start'?") != std::string::npos);
  CHECK(usage_error({"log", "amsa"}).find("did you mean 'logs'?") != std::string::npos);
}
