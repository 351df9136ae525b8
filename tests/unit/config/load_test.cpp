// parse_config on valid files: every key lands in JobSpec exactly; defaults and paths.
#include <catch2/catch.hpp>

#include <csignal>

#include "config/load.hpp"
#include "config_test_util.hpp"

using namespace supd::config;
using namespace std::chrono_literals;
using supd::config::test::messages;
using supd::config::test::parse;

namespace {

Config require_config(const LoadResult& r) {
  INFO(Catch::Detail::stringify(messages(r)));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  return *r.config;
}

}  // namespace

TEST_CASE("a job that sets every key gets exactly those values", "[config]") {
  const auto r = parse(R"(
[supd]
log_dir = "logs/"

[jobs.amsa]
command = ["python3", "-u", "amsa.py"]
shell = false
directory = "~/amsa"
environment = { GREETING = "hello", B = "x=y", EMPTY = "" }
autostart = false
restart = "always"
start_secs = 2.5
start_retries = 7
backoff_initial = "250ms"
backoff_max = 30
stop_signal = "SIGINT"
stop_timeout = "1m30s"
ignore_signals = ["HUP", "usr2", 13, "SIGHUP"]
forward_signals = ["USR1", "RTMIN+2"]
stdout = "amsa/out.log"
stderr = "./amsa.err"
log_max_size = "64KiB"
log_keep = 0
)");
  const auto config = require_config(r);
  CHECK(config.supd.log_dir == std::filesystem::path("/srv/cfg/logs"));
  REQUIRE(config.jobs.size() == 1);

  JobSpec want;
  want.name = "amsa";
  want.argv = {"python3", "-u", "amsa.py"};
  want.shell = false;
  want.directory = "/home/u/amsa";
  want.environment = {{"GREETING", "hello"}, {"B", "x=y"}, {"EMPTY", ""}};
  want.autostart = false;
  want.restart = RestartPolicy::Always;
  want.start_secs = 2500ms;
  want.start_retries = 7;
  want.backoff_initial = 250ms;
  want.backoff_max = 30s;
  want.stop_signal = SIGINT;
  want.stop_timeout = 90s;
  want.ignore_signals = {SIGHUP, SIGUSR2, SIGPIPE};  // duplicates dropped, order kept
  want.forward_signals = {SIGUSR1, SIGRTMIN + 2};
  want.stdout_file = "amsa/out.log";
  want.stderr_file = "amsa.err";
  want.log_max_size = 64 * 1024;
  want.log_keep = 0;
  CHECK(config.jobs[0] == want);
}

TEST_CASE("a job with only a command gets the documented defaults", "[config]") {
  const auto config = require_config(parse("[jobs.amsa]\ncommand = \"python3 -u 'my app.py'\"\n"));
  REQUIRE(config.jobs.size() == 1);
  const auto& j = config.jobs[0];
  CHECK(j.argv == std::vector<std::string>{"python3", "-u", "my app.py"});
  CHECK(j.directory == std::filesystem::path("/srv/cfg"));
  CHECK(j.environment.empty());
  CHECK(j.autostart);
  CHECK(j.restart == RestartPolicy::OnFailure);
  CHECK(j.start_secs == 1s);
  CHECK(j.start_retries == 3);
  CHECK(j.backoff_initial == 1s);
  CHECK(j.backoff_max == 60s);
  CHECK(j.stop_signal == SIGTERM);
  CHECK(j.stop_timeout == 10s);
  CHECK(j.ignore_signals == std::vector<int>{SIGHUP});
  CHECK(j.forward_signals.empty());
  CHECK(j.stdout_file == "amsa.out");
  CHECK_FALSE(j.stderr_file);
  CHECK(j.log_max_size == 50ull << 20);
  CHECK(j.log_keep == 5);
  CHECK_FALSE(config.supd.log_dir);
}

TEST_CASE("an empty file is a valid config with no jobs", "[config]") {
  const auto config = require_config(parse(""));
  CHECK(config.jobs.empty());
  CHECK(config == Config{});
}

TEST_CASE("[defaults] apply to every job and each job key overrides them", "[config]") {
  const auto config = require_config(parse(R"(
[defaults]
restart = "always"
stop_signal = "INT"
stop_timeout = 3
environment = { TZ = "UTC", LANG = "C" }
ignore_signals = []
directory = "work"

[jobs.first]
command = "sleep 1"
restart = "never"
environment = { LANG = "C.UTF-8", X = "1" }

[jobs.second]
command = "sleep 2"
ignore_signals = ["HUP", "PIPE"]
directory = "/abs"
)"));
  REQUIRE(config.jobs.size() == 2);
  const auto& first = config.jobs[0];
  const auto& second = config.jobs[1];
  CHECK(first.name == "first");
  CHECK(first.restart == RestartPolicy::Never);
  CHECK(second.restart == RestartPolicy::Always);
  CHECK(first.stop_signal == SIGINT);
  CHECK(second.stop_signal == SIGINT);
  CHECK(first.stop_timeout == 3s);
  // environment merges per variable: the job's own win
  CHECK(first.environment == std::map<std::string, std::string>{{"TZ", "UTC"}, {"LANG", "C.UTF-8"}, {"X", "1"}});
  CHECK(second.environment == std::map<std::string, std::string>{{"TZ", "UTC"}, {"LANG", "C"}});
  CHECK(first.ignore_signals.empty());  // [] opts out of the nohup guarantee
  CHECK(second.ignore_signals == std::vector<int>{SIGHUP, SIGPIPE});
  CHECK(first.directory == std::filesystem::path("/srv/cfg/work"));
  CHECK(second.directory == std::filesystem::path("/abs"));
}

TEST_CASE("a command in [defaults] is used by jobs without one, and shell applies to it", "[config]") {
  const auto config = require_config(parse(R"(
[defaults]
command = "echo $GREETING"
[jobs.plain]
[jobs.shelled]
shell = true
[jobs.own]
command = ["/bin/true"]
)"));
  REQUIRE(config.jobs.size() == 3);
  CHECK(config.jobs[0].argv == std::vector<std::string>{"echo", "$GREETING"});
  CHECK(config.jobs[1].argv == std::vector<std::string>{"/bin/sh", "-c", "echo $GREETING"});
  CHECK(config.jobs[2].argv == std::vector<std::string>{"/bin/true"});
}

TEST_CASE("R5: shell = true hands the text to /bin/sh -c untouched", "[config][R5]") {
  const auto config = require_config(parse(R"(
[jobs.literal]
command = "echo $(id); touch pwned"
[jobs.shell]
command = "echo $(id); touch pwned"
shell = true
[jobs.array]
command = ["echo", "$(id);", "touch", "pwned"]
shell = true
[jobs.printf]
command = "printf '%s\n' 'a b' c"
)"));
  REQUIRE(config.jobs.size() == 4);
  CHECK(config.jobs[0].argv == std::vector<std::string>{"echo", "$(id);", "touch", "pwned"});
  CHECK_FALSE(config.jobs[0].shell);
  CHECK(config.jobs[1].argv == std::vector<std::string>{"/bin/sh", "-c", "echo $(id); touch pwned"});
  CHECK(config.jobs[1].shell);
  CHECK(config.jobs[2].argv == std::vector<std::string>{"/bin/sh", "-c", "echo $(id); touch pwned"});
  // TOML's own escapes first ("\n" is a newline in a basic string), then the word split
  CHECK(config.jobs[3].argv == std::vector<std::string>{"printf", "%s\n", "a b", "c"});
}

TEST_CASE("R4: environment values are exact and ~ expands with the injected HOME", "[config][R4]") {
  const auto config = require_config(parse(R"(
[jobs.w]
command = "env"
environment = { A = "1", B = "x=y" }
directory = "~/w"
[jobs.home]
command = "env"
directory = "~"
)"));
  CHECK(config.jobs[0].environment == std::map<std::string, std::string>{{"A", "1"}, {"B", "x=y"}});
  CHECK(config.jobs[0].directory == std::filesystem::path("/home/u/w"));
  CHECK(config.jobs[1].directory == std::filesystem::path("/home/u"));
}

TEST_CASE("relative directories resolve against the config's directory, normalized", "[config]") {
  const auto config = require_config(parse(R"(
[supd]
log_dir = "~/logs"
[jobs.a]
command = "x"
directory = "sub/../other/./dir/"
[jobs.b]
command = "x"
directory = ".."
[jobs.c]
command = "x"
directory = "/var//lib/../tmp"
)"));
  CHECK(config.supd.log_dir == std::filesystem::path("/home/u/logs"));
  CHECK(config.jobs[0].directory == std::filesystem::path("/srv/cfg/other/dir"));
  CHECK(config.jobs[1].directory == std::filesystem::path("/srv"));
  CHECK(config.jobs[2].directory == std::filesystem::path("/var/tmp"));
}

TEST_CASE("jobs keep the order of the file, not the alphabet", "[config]") {
  const auto config = require_config(parse(R"(
[jobs.zeta]
command = "z"
[jobs.alpha]
command = "a"
[jobs.mid]
command = "m"
)"));
  REQUIRE(config.jobs.size() == 3);
  CHECK(config.jobs[0].name == "zeta");
  CHECK(config.jobs[1].name == "alpha");
  CHECK(config.jobs[2].name == "mid");
  CHECK(config.find("alpha") == &config.jobs[1]);
  CHECK(config.find("nope") == nullptr);
}

TEST_CASE("jobs may be written as dotted keys or inline tables too", "[config]") {
  const auto config = require_config(parse(R"(
jobs.b.command = "b"
jobs.a = { command = ["a"], restart = "never" }
)"));
  REQUIRE(config.jobs.size() == 2);
  CHECK(config.jobs[0].name == "b");
  CHECK(config.jobs[1].name == "a");
  CHECK(config.jobs[1].restart == RestartPolicy::Never);
}

TEST_CASE("numbers and strings both work for durations, sizes and signals", "[config]") {
  const auto config = require_config(parse(R"(
[jobs.a]
command = "x"
start_secs = 0
stop_timeout = 0.25
backoff_initial = "1.5s"
backoff_max = "2h"
stop_signal = 9
log_max_size = 0
forward_signals = [10, "rtmax-1"]
)"));
  const auto& j = config.jobs[0];
  CHECK(j.start_secs == 0ms);
  CHECK(j.stop_timeout == 250ms);
  CHECK(j.backoff_initial == 1500ms);
  CHECK(j.backoff_max == 2h);
  CHECK(j.stop_signal == SIGKILL);  // KILL is a valid stop signal
  CHECK(j.log_max_size == 0u);
  CHECK(j.forward_signals == std::vector<int>{SIGUSR1, SIGRTMAX - 1});
}

TEST_CASE("stderr naming the stdout file is the same as merged", "[config]") {
  const auto config = require_config(parse("[jobs.a]\ncommand = \"x\"\nstderr = \"./a.out\"\n"));
  CHECK(config.jobs[0].stdout_file == "a.out");
  CHECK_FALSE(config.jobs[0].stderr_file);
}

TEST_CASE("a relative base_dir is made absolute", "[config]") {
  const auto r = parse_config("[jobs.a]\ncommand = \"x\"\n", "supd.toml", LoadOptions{"rel", test::fake_env});
  const auto config = require_config(r);
  CHECK(config.jobs[0].directory.is_absolute());
  CHECK(config.jobs[0].directory.filename() == "rel");
}

TEST_CASE("to_string of a RestartPolicy is the config spelling", "[config]") {
  CHECK(to_string(RestartPolicy::Always) == "always");
  CHECK(to_string(RestartPolicy::OnFailure) == "on-failure");
  CHECK(to_string(RestartPolicy::Never) == "never");
}

TEST_CASE("to_string of a ConfigError with and without a position", "[config]") {
  CHECK(to_string(ConfigError{"supd.toml", 4, 15, "boom"}) == "supd.toml:4:15: boom");
  CHECK(to_string(ConfigError{"/etc/supd.toml", 0, 0, "No such file or directory"}) ==
        "/etc/supd.toml: No such file or directory");
}
