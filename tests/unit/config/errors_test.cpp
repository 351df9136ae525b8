// parse_config on bad files: every problem at once, each at its file:line:col.
#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <string>

#include "config/job_fields.hpp"
#include "config/load.hpp"
#include "config/other_keys.hpp"
#include "config_test_util.hpp"

using namespace supd::config;
using supd::config::test::messages;
using supd::config::test::parse;
using Lines = std::vector<std::string>;

namespace {

// The single error a snippet inside [jobs.a] (after its command line) produces.
std::string job_key_error(const std::string& lines) {
  const auto r = parse("[jobs.a]\ncommand = \"x\"\n" + lines + "\n");
  CHECK_FALSE(r.config);
  const auto m = messages(r);
  INFO(Catch::Detail::stringify(m));
  REQUIRE(m.size() == 1);
  return m[0];
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST_CASE("E9: config errors point at file:line:col", "[config][errors]") {
  const auto r = parse("\n[jobs.amsa]\ncommand = [\"python3\", \"amsa.py\"]\n"
                       "stop_signal = \"TREM\"\nrestart = \"sometimes\"\n");
  REQUIRE(r.errors.size() == 2);  // both problems, in one pass
  CHECK_FALSE(r.config);
  CHECK(starts_with(to_string(r.errors[0]), R"(supd.toml:4:15: stop_signal: unknown signal "TREM")"));
  CHECK(messages(r) ==
        Lines{R"(supd.toml:4:15: stop_signal: unknown signal "TREM" (use a name like USR1 or SIGUSR1, a number, or RTMIN+N))",
              R"(supd.toml:5:11: restart: unknown policy "sometimes" (use "always", "on-failure" or "never"))"});
  CHECK(r.errors[0] == ConfigError{"supd.toml", 4, 15,
                                   R"(stop_signal: unknown signal "TREM" (use a name like USR1 or SIGUSR1, a number, or RTMIN+N))"});
}

TEST_CASE("R61: four problems in one job are all reported, in file order", "[config][errors][R61]") {
  const auto r = parse(R"([jobs.amsa]
command = "python3 amsa.py"
restrat = "always"
restart = 5
stop_timeout = "10 parsecs"
stop_signal = "KILLL"
)");
  CHECK_FALSE(r.config);
  CHECK(messages(r) == Lines{
      R"(supd.toml:3:1: unknown key "restrat" (did you mean "restart"?))",
      R"(supd.toml:4:11: restart: expected "always", "on-failure" or "never", got integer)",
      R"(supd.toml:5:16: stop_timeout: invalid duration "10 parsecs" (use e.g. "500ms", "10s", "1m30s" or a number of seconds))",
      R"(supd.toml:6:15: stop_signal: unknown signal "KILLL" (use a name like USR1 or SIGUSR1, a number, or RTMIN+N))",
  });
}

TEST_CASE("R61: problems spread over several jobs and [defaults] are sorted by position", "[config][errors][R61]") {
  const auto r = parse(R"([jobs.b]
command = "b"
log_keep = 5000
[defaults]
autostart = "yes"
[jobs.a]
restart = "sometimes"
)");
  CHECK(messages(r) == Lines{
      R"(supd.toml:3:12: log_keep: must be between 0 and 1000, got 5000)",
      R"(supd.toml:5:13: autostart: expected true or false, got string)",
      R"(supd.toml:6:1: job "a": command is required)",
      R"(supd.toml:7:11: restart: unknown policy "sometimes" (use "always", "on-failure" or "never"))",
  });
}

TEST_CASE("R61: a duplicate job table is reported at the second header", "[config][errors][R61]") {
  const auto r = parse(R"([jobs.amsa]
command = "a"

[jobs.amsa]
command = "b"
)");
  CHECK_FALSE(r.config);
  CHECK(messages(r) == Lines{"supd.toml:4:1: duplicate table [jobs.amsa] (first defined at line 1)"});
}

TEST_CASE("R61: all five problems at once, the duplicate table included", "[config][errors][R61]") {
  const auto r = parse(R"([jobs.amsa]
command = "python3 amsa.py"
restrat = "always"
restart = 5
stop_timeout = "10 parsecs"
stop_signal = "KILLL"

[jobs.amsa]  # pasted twice
command = "python3 amsa.py"
)");
  CHECK_FALSE(r.config);
  CHECK(messages(r) == Lines{
      R"(supd.toml:3:1: unknown key "restrat" (did you mean "restart"?))",
      R"(supd.toml:4:11: restart: expected "always", "on-failure" or "never", got integer)",
      R"(supd.toml:5:16: stop_timeout: invalid duration "10 parsecs" (use e.g. "500ms", "10s", "1m30s" or a number of seconds))",
      R"(supd.toml:6:15: stop_signal: unknown signal "KILLL" (use a name like USR1 or SIGUSR1, a number, or RTMIN+N))",
      "supd.toml:8:1: duplicate table [jobs.amsa] (first defined at line 1)",
  });
}

TEST_CASE("the keys under a duplicate header are still checked", "[config][errors][R61]") {
  const auto r = parse(R"([defaults]
restart = "always"
[jobs."my job"]
command = "x"
[jobs."my job"]
stop_signal = "TREM"
[defaults]
autostart = 1
[jobs.other]
command = "y"
[jobs.other]
)");
  CHECK(messages(r) == Lines{
      R"(supd.toml:3:1: job name "my job": use letters, digits, '_', '.' and '-')",
      R"(supd.toml:5:1: duplicate table [jobs."my job"] (first defined at line 3))",
      R"(supd.toml:6:15: stop_signal: unknown signal "TREM" (use a name like USR1 or SIGUSR1, a number, or RTMIN+N))",
      "supd.toml:7:1: duplicate table [defaults] (first defined at line 1)",
      "supd.toml:8:13: autostart: expected true or false, got integer",
      "supd.toml:11:1: duplicate table [jobs.other] (first defined at line 9)",
  });
}

TEST_CASE("a header that clashes with a value keeps toml++'s words, and checking goes on", "[config][errors]") {
  const auto m = messages(parse("jobs = 1\n[jobs.a]\ncommand = \"x\"\nrestart = 5\n"));
  REQUIRE(m.size() == 3);
  CHECK(m[0] == "supd.toml:1:8: jobs: expected a table of jobs ([jobs.NAME]), got integer");
  CHECK(m[1].rfind("supd.toml:2:1: ", 0) == 0);
  CHECK(m[1].find("cannot redefine existing integer") != std::string::npos);
  CHECK(m[2] == R"(supd.toml:4:11: restart: expected "always", "on-failure" or "never", got integer)");
}

TEST_CASE("a duplicate key is a syntax error that stops there", "[config][errors]") {
  const auto r = parse("[jobs.a]\ncommand = \"x\"\ncommand = \"y\"\nrestart = 5\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[0].message.find("command") != std::string::npos);
}

TEST_CASE("a syntax error after a duplicate table is reported too", "[config][errors]") {
  const auto r = parse("[jobs.a]\ncommand = \"x\"\n[jobs.a]\nrestart = \"always\n");
  const auto m = messages(r);
  REQUIRE(m.size() == 2);
  CHECK(m[0] == "supd.toml:3:1: duplicate table [jobs.a]");  // no tree to find the first one in
  CHECK(r.errors[1].line == 4);
}

TEST_CASE("a TOML syntax error stops at that one error", "[config][errors]") {
  const auto r = parse("[jobs.a]\ncommand = \"x\nrestrat = 1\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 2);
}

TEST_CASE("unknown keys anywhere, with a did-you-mean when one is close", "[config][errors]") {
  const auto r = parse(R"(restart = "always"
[supd]
logdir = "x"
[default]
[jobs.a]
comand = "x"
stdout_file = "a.out"
envirnoment = {}
)");
  CHECK(messages(r) == Lines{
      R"(supd.toml:1:1: unknown key "restart" (job settings go under [jobs.NAME] or [defaults]))",
      R"(supd.toml:3:1: unknown key "logdir" (did you mean "log_dir"?))",
      R"(supd.toml:4:2: unknown key "default" (did you mean "defaults"?))",
      R"(supd.toml:5:1: job "a": command is required)",
      R"(supd.toml:6:1: unknown key "comand" (did you mean "command"?))",
      R"(supd.toml:7:1: unknown key "stdout_file")",
      R"(supd.toml:8:1: unknown key "envirnoment" (did you mean "environment"?))",
  });
}

TEST_CASE("wrong types name the key and the expected type", "[config][errors]") {
  CHECK(job_key_error("shell = 1") == "supd.toml:3:9: shell: expected true or false, got integer");
  CHECK(job_key_error("start_retries = \"3\"") == "supd.toml:3:17: start_retries: expected an integer, got string");
  CHECK(job_key_error("start_retries = -1") == "supd.toml:3:17: start_retries: must be between 0 and 1000000, got -1");
  CHECK(job_key_error("directory = 5") == "supd.toml:3:13: directory: expected a string, got integer");
  CHECK(job_key_error("environment = [\"A=1\"]") ==
        R"(supd.toml:3:15: environment: expected a table of strings ({ NAME = "value" }), got array)");
  CHECK(job_key_error("environment = { A = 1 }") == "supd.toml:3:21: environment.A: expected a string, got integer");
  CHECK(job_key_error("stop_timeout = true") ==
        R"(supd.toml:3:16: stop_timeout: expected a duration ("10s") or a number of seconds, got boolean)");
  CHECK(job_key_error("start_secs = -1") == "supd.toml:3:14: start_secs: must not be negative, got -1");
  CHECK(job_key_error("start_secs = \"400d\"") == "supd.toml:3:14: start_secs: must be at most 365 days");
  CHECK(job_key_error("log_max_size = \"50 MeB\"") ==
        R"(supd.toml:3:16: log_max_size: invalid size "50 MeB" (use e.g. "50MiB", "64KiB" or a number of bytes))");
  CHECK(job_key_error("log_max_size = -5") == "supd.toml:3:16: log_max_size: must not be negative, got -5");
  CHECK(job_key_error("stop_signal = 0") ==
        "supd.toml:3:15: stop_signal: unknown signal 0 (use a name like USR1 or SIGUSR1, a number, or RTMIN+N)");
  CHECK(job_key_error("stop_signal = [\"TERM\"]") ==
        R"(supd.toml:3:15: stop_signal: expected a signal name ("TERM") or number, got array)");
  CHECK(job_key_error("ignore_signals = \"HUP\"") ==
        R"(supd.toml:3:18: ignore_signals: expected an array of signals (["HUP"]), got string)");
  CHECK(job_key_error("stdout = 1") == "supd.toml:3:10: stdout: expected a string, got integer");
  CHECK(job_key_error("restart = \"Always\"") ==
        R"(supd.toml:3:11: restart: unknown policy "Always" (use "always", "on-failure" or "never"))");
}

TEST_CASE("bad commands", "[config][errors]") {
  auto one = [](const std::string& text) {
    const auto m = messages(parse(text));
    INFO(Catch::Detail::stringify(m));
    REQUIRE(m.size() == 1);
    return m[0];
  };
  CHECK(one("[jobs.a]\ncommand = []\n") == "supd.toml:2:11: command: must not be empty");
  CHECK(one("[jobs.a]\ncommand = \"\"\n") == "supd.toml:2:11: command: empty command");
  CHECK(one("[jobs.a]\ncommand = \"echo 'x\"\n") == "supd.toml:2:11: command: unterminated single quote");
  CHECK(one("[jobs.a]\ncommand = \"x\\\\\"\n") == "supd.toml:2:11: command: trailing backslash");
  CHECK(one("[jobs.a]\ncommand = [\"x\", 1]\n") == "supd.toml:2:17: command: expected a string, got integer");
  CHECK(one("[jobs.a]\ncommand = [\"\", \"x\"]\n") == "supd.toml:2:12: command: the program name must not be empty");
  CHECK(one("[jobs.a]\ncommand = 5\n") == "supd.toml:2:11: command: expected an array of strings or a string, got integer");
  CHECK(one("[jobs.a]\ncommand = \"  \"\nshell = true\n") == "supd.toml:2:11: command: must not be empty");
  CHECK(one("[jobs.a]\ncommand = \"a\\u0000b\"\n") == "supd.toml:2:11: command: must not contain a NUL byte");
  CHECK(one("[jobs.a]\n") == R"(supd.toml:1:1: job "a": command is required)");
}

TEST_CASE("an invalid command in a job does not fall back to [defaults]", "[config][errors]") {
  const auto m = messages(parse("[defaults]\ncommand = \"ok\"\n[jobs.a]\ncommand = 1\n"));
  CHECK(m == Lines{"supd.toml:4:11: command: expected an array of strings or a string, got integer"});
}

TEST_CASE("a bad value in [defaults] is reported once, at [defaults]", "[config][errors]") {
  const auto m = messages(parse(R"([defaults]
stop_signal = "TREM"
[jobs.a]
command = "a"
[jobs.b]
command = "b"
)"));
  CHECK(m == Lines{R"(supd.toml:2:15: stop_signal: unknown signal "TREM" (use a name like USR1 or SIGUSR1, a number, or RTMIN+N))"});
}

TEST_CASE("signals a job may not ignore or forward", "[config][errors]") {
  CHECK(job_key_error("ignore_signals = [\"HUP\", \"KILL\"]") == "supd.toml:3:26: ignore_signals: KILL cannot be ignored");
  CHECK(job_key_error("ignore_signals = [\"SIGSTOP\"]") == "supd.toml:3:19: ignore_signals: STOP cannot be ignored");
  CHECK(job_key_error("ignore_signals = [\"NOPE\"]") ==
        R"(supd.toml:3:19: ignore_signals: unknown signal "NOPE" (use a name like USR1 or SIGUSR1, a number, or RTMIN+N))");
  CHECK(job_key_error("forward_signals = [9]") ==
        "supd.toml:3:20: forward_signals: KILL cannot be caught by supd, so it cannot be forwarded");
  CHECK(job_key_error("forward_signals = [\"TERM\"]") ==
        "supd.toml:3:20: forward_signals: TERM is supd's own signal (it stops supd), so it cannot be forwarded");
  CHECK(job_key_error("forward_signals = [\"HUP\"]") ==
        "supd.toml:3:20: forward_signals: HUP is supd's own signal (it reloads the config), so it cannot be forwarded");
}

TEST_CASE("environment variable names", "[config][errors]") {
  CHECK(job_key_error("environment = { \"A=B\" = \"x\" }") ==
        R"(supd.toml:3:17: environment: invalid variable name "A=B" (it may not be empty or contain '='))");
  CHECK(job_key_error("environment = { \"\" = \"x\" }") ==
        R"(supd.toml:3:17: environment: invalid variable name "" (it may not be empty or contain '='))");
}

TEST_CASE("directories", "[config][errors]") {
  CHECK(job_key_error("directory = \"\"") == "supd.toml:3:13: directory: must not be empty");
  CHECK(job_key_error("directory = \"~bob/x\"") ==
        R"(supd.toml:3:13: directory: "~bob" is not supported; write the full path ("~" and "~/..." are))");
  const auto r = parse_config("[jobs.a]\ncommand = \"x\"\ndirectory = \"~/w\"\n", "supd.toml",
                              LoadOptions{"/srv", [](std::string_view) { return std::optional<std::string>(); }});
  // Without HOME the passwd entry is the fallback; only when both are missing is it an error.
  if (!r.errors.empty())
    CHECK(messages(r) == Lines{R"(supd.toml:3:13: directory: cannot expand "~": HOME is not set)"});
}

TEST_CASE("R62: job names that can never be valid, each at its table", "[config][errors][R62]") {
  const std::string long_name(300, 'x');
  const auto r = parse("[jobs.\"\"]\ncommand = \"x\"\n"         // 1
                       "[jobs.\".\"]\ncommand = \"x\"\n"        // 3
                       "[jobs.\"..\"]\ncommand = \"x\"\n"       // 5
                       "[jobs.\"a/b\"]\ncommand = \"x\"\n"      // 7
                       "[jobs." + long_name + "]\ncommand = \"x\"\n"  // 9
                       "[jobs.\"a b\"]\ncommand = \"x\"\n"      // 11
                       "[jobs.\"ämsa\"]\ncommand = \"x\"\n"     // 13
                       "[jobs.-x]\ncommand = \"x\"\n"           // 15
                       "[jobs.\"tab\\there\"]\ncommand = \"x\"\n"  // 17
                       "[jobs.ok-name_1.2]\ncommand = \"x\"\n");   // 19: a dotted key, job "ok-name_1" with key "2"
  CHECK_FALSE(r.config);
  CHECK(messages(r) == Lines{
      R"(supd.toml:1:1: job name "": a job needs a name)",
      R"(supd.toml:3:1: job name ".": "." and ".." are reserved)",
      R"(supd.toml:5:1: job name "..": "." and ".." are reserved)",
      R"(supd.toml:7:1: job name "a/b": use letters, digits, '_', '.' and '-')",
      "supd.toml:9:1: job name \"" + std::string(64, 'x') + "\"... (300 bytes): at most 64 bytes, got 300",
      R"(supd.toml:11:1: job name "a b": use letters, digits, '_', '.' and '-')",
      R"(supd.toml:13:1: job name "ämsa": use letters, digits, '_', '.' and '-')",
      R"(supd.toml:15:1: job name "-x": must not start with '-')",
      R"(supd.toml:17:1: job name "tab\there": use letters, digits, '_', '.' and '-')",
      R"(supd.toml:19:1: job "ok-name_1": command is required)",
      R"(supd.toml:19:17: unknown key "2")",
  });
}

TEST_CASE("R62: names at the limits are fine", "[config][R62]") {
  const std::string max_name(64, 'n');
  const auto r = parse("[jobs." + max_name + "]\ncommand = \"x\"\n[jobs.\"a.b\"]\ncommand = \"x\"\n"
                       "[jobs.\"...\"]\ncommand = \"x\"\n[jobs._-9]\ncommand = \"x\"\n");
  INFO(Catch::Detail::stringify(messages(r)));
  REQUIRE(r.config);
  CHECK(r.config->jobs.size() == 4);
  CHECK(r.config->jobs[1].name == "a.b");
  CHECK(r.config->jobs[1].stdout_file == "a.b.out");
}

TEST_CASE("a job that is not a table", "[config][errors]") {
  CHECK(messages(parse("[jobs]\namsa = \"python3 amsa.py\"\n")) ==
        Lines{R"(supd.toml:2:8: job "amsa": expected a table ([jobs.amsa]), got string)"});
  CHECK(messages(parse("[[jobs]]\ncommand = \"x\"\n")) ==
        Lines{"supd.toml:1:1: jobs: expected a table of jobs ([jobs.NAME]), got array"});
  CHECK(messages(parse("supd = 1\ndefaults = []\n")) ==
        Lines{"supd.toml:1:8: supd: expected a table ([supd]), got integer",
              "supd.toml:2:12: defaults: expected a table ([defaults]), got array"});
}

TEST_CASE("R63: output files must stay inside log_dir", "[config][errors][R63]") {
  CHECK(job_key_error("stdout = \"../x.out\"") ==
        R"(supd.toml:3:10: stdout: must stay inside log_dir (no ".."), got "../x.out")");
  CHECK(job_key_error("stderr = \"logs/../../x.err\"") ==
        R"(supd.toml:3:10: stderr: must stay inside log_dir (no ".."), got "logs/../../x.err")");
  CHECK(job_key_error("stdout = \"/tmp/x.out\"") ==
        R"(supd.toml:3:10: stdout: must be a file name relative to log_dir, got "/tmp/x.out")");
  CHECK(job_key_error("stdout = \"\"") == "supd.toml:3:10: stdout: must not be empty");
  CHECK(job_key_error("stdout = \"dir/\"") == R"(supd.toml:3:10: stdout: must name a file, got "dir/")");
  CHECK(job_key_error("stdout = \".\"") == R"(supd.toml:3:10: stdout: must name a file, got ".")");
  CHECK(job_key_error("stdout = \"a\\u0000b\"") == "supd.toml:3:10: stdout: must not contain a NUL byte");
}

TEST_CASE("R63: two jobs writing one file is refused at the second", "[config][errors][R63]") {
  CHECK(messages(parse(R"([jobs.a]
command = "a"
stdout = "shared.out"
[jobs.b]
command = "b"
stdout = "./shared.out"
)")) == Lines{R"(supd.toml:6:10: stdout: "shared.out" is also written by job "a")"});

  // A default name collides with an explicit one; stderr collides with another job's stdout.
  CHECK(messages(parse(R"([jobs.a]
command = "a"
[jobs.b]
command = "b"
stdout = "a.out"
[jobs.c]
command = "c"
stderr = "b.out"
[jobs.d]
command = "d"
stderr = "a.out"
)")) == Lines{R"(supd.toml:5:10: stdout: "a.out" is also written by job "a")",
              R"(supd.toml:11:10: stderr: "a.out" is also written by job "a")"});

  // A stdout in [defaults] is shared by every job, so two jobs collide at the second job.
  CHECK(messages(parse(R"([defaults]
stdout = "all.out"
[jobs.a]
command = "a"
[jobs.b]
command = "b"
)")) == Lines{R"(supd.toml:2:10: stdout: "all.out" is also written by job "a")"});
}

TEST_CASE("R64: nesting 10000 deep is an error, not a stack overflow", "[config][errors][R64]") {
  const int n = 10000;
  SECTION("arrays") {
    const auto r = parse("x = " + std::string(n, '[') + std::string(n, ']') + "\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(to_string(r.errors[0]) == "supd.toml:1:21: arrays or inline tables nested more than 16 levels deep");
  }
  SECTION("inline tables") {
    std::string text = "x = ";
    for (int i = 0; i < n; ++i) text += "{ a = ";
    text += "1";
    for (int i = 0; i < n; ++i) text += " }";
    const auto r = parse(text + "\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 1);
  }
  SECTION("a dotted key") {
    std::string text = "a";
    for (int i = 1; i < n; ++i) text += ".a";
    const auto r = parse(text + " = 1\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(to_string(r.errors[0]) ==
          "supd.toml:1:33: a dotted key with more than 16 parts (supd's config needs at most 4)");
  }
  SECTION("a table header with quoted parts") {
    std::string text = "[jobs";
    for (int i = 1; i < n; ++i) text += ".\"a\"";
    const auto r = parse(text + "]\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 1);
  }
  SECTION("just inside the guard, toml++'s own limit still holds") {
    const auto r = parse("x = " + std::string(16, '[') + std::string(16, ']') + "\n");
    CHECK(messages(r) == Lines{R"x(supd.toml:1:1: unknown key "x" (the top level has [supd], [defaults] and [jobs.NAME]))x"});
  }
}

TEST_CASE("R64: the deepest document the guard lets through parses without trouble", "[config][R64]") {
  auto dotted = [](int parts) {
    std::string key = "a";
    for (int i = 1; i < parts; ++i) key += ".a";
    return key;
  };
  // 16-part header, 15 inline tables each opened by a 16-part dotted key, and an array: ~260 levels.
  std::string text = "[" + dotted(16) + "]\n" + dotted(16) + " = ";
  for (int i = 1; i < 15; ++i) text += "{ " + dotted(16) + " = ";
  text += "{ x = [1] }";
  for (int i = 1; i < 15; ++i) text += " }";
  const auto r = parse(text + "\n");
  CHECK(messages(r) == Lines{R"x(supd.toml:1:2: unknown key "a" (the top level has [supd], [defaults] and [jobs.NAME]))x"});
}

TEST_CASE("R64: brackets, dots and hashes inside strings and comments do not count", "[config][R64]") {
  std::string noise = std::string(40, '[') + std::string(40, '.') + "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a";
  const auto r = parse("# " + noise + "\n[jobs.a]\ncommand = ['" + noise + "', \"" + noise + "\\\"\", '''\n" + noise +
                       "''', \"\"\"" + noise + "\"\"\"]\n");
  INFO(Catch::Detail::stringify(messages(r)));
  REQUIRE(r.config);
  CHECK(r.config->jobs[0].argv.size() == 4);
}

TEST_CASE("R64: 100000 jobs load", "[config][R64]") {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "[jobs.j" + std::to_string(i) + "]\ncommand = \"sleep 1\"\n";
  const auto r = parse(text);
  REQUIRE(r.config);
  CHECK(r.config->jobs.size() == 100000);
  CHECK(r.config->jobs[99999].name == "j99999");
}

// Found by fuzz_config: toml++ quotes the character it stopped at, here the newline after `f`,
// and the error came out as two lines.
TEST_CASE("every error is one line, even when toml++ quotes a newline or a control character", "[config]") {
  for (const std::string& text : {std::string("[jobs.a]\nautostart = f\ncommand = \"x\"\n"),
                                 std::string("[jobs.a]\nautostart = f\r\n"),
                                 std::string("[jobs.a]\nautostart = f\x01\n")}) {
    const auto r = parse(text);
    REQUIRE_FALSE(r.errors.empty());
    for (const auto& line : messages(r)) {
      INFO(line);
      CHECK(line.find_first_of("\n\r\x01") == std::string::npos);
      CHECK(line.rfind("supd.toml:2:", 0) == 0);
    }
  }
}

TEST_CASE("R91: a job may not be named `all`, which supctl reads as every job", "[config][errors][R91]") {
  const auto r = parse("[jobs.web]\ncommand = \"x\"\n"
                       "[jobs.all]\ncommand = \"x\"\n");
  CHECK_FALSE(r.config);
  CHECK(messages(r) == Lines{"supd.toml:3:1: job name 'all' is reserved (supctl start/stop/restart/status all means "
                             "every job); pick another name"});
}

TEST_CASE("another supervisor's key names ours: autorestart is restart", "[config][errors]") {
  CHECK(job_key_error("autorestart = true") == R"(supd.toml:3:1: unknown key "autorestart" (did you mean "restart"?))");
  CHECK(job_key_error("stdout_logfile = \"a.log\"") ==
        R"(supd.toml:3:1: unknown key "stdout_logfile" (did you mean "stdout"?))");
  CHECK(job_key_error("stopwaitsecs = 5") == R"(supd.toml:3:1: unknown key "stopwaitsecs" (did you mean "stop_timeout"?))");
  CHECK(job_key_error("WorkingDirectory = \"/tmp\"") ==
        R"(supd.toml:3:1: unknown key "WorkingDirectory" (did you mean "directory"?))");
  const auto r = parse("[defaults]\nautorestart = true\n");
  CHECK(messages(r) == Lines{R"(supd.toml:2:1: unknown key "autorestart" (did you mean "restart"?))"});
}

TEST_CASE("every other tool's key maps to a key supd has", "[config][errors]") {
  for (const char* theirs : {"autorestart", "startsecs", "startretries", "stopsignal", "stopwaitsecs", "stdout_logfile",
                             "stderr_logfile", "stdout_logfile_maxbytes", "stdout_logfile_backups", "ExecStart",
                             "WorkingDirectory", "KillSignal", "TimeoutStopSec", "RestartSec", "cmd", "cwd", "env"}) {
    CAPTURE(theirs);
    const auto ours = our_key_for(theirs);
    REQUIRE(ours);
    CHECK(std::find(std::begin(detail::kJobKeys), std::end(detail::kJobKeys), *ours) != std::end(detail::kJobKeys));
  }
  CHECK_FALSE(our_key_for("restart"));
  CHECK_FALSE(our_key_for("frobnicate"));
}
