// env_file, user/group, umask, limits, instances and the cgroup limits as a config file writes
// them, and every mistake issue 19 names as a file:line:col error at --check and at reload.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/diff.hpp"
#include "config/load.hpp"
#include "config_test_util.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::config;
using supd::config::test::has_message;
using supd::config::test::messages;
using supd::config::test::parse;

namespace {

using supd::test_unit::TempDir;

void write_in(const TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir.path / name) << text;
}

}  // namespace

TEST_CASE("instances make NAME@0 to NAME@N-1 with their index in place of %i", "[config][instances]") {
  const auto r = parse(R"(
[jobs.web]
command = "./web --port=80%i --name=%%i"
instances = 3
environment = { SLOT = "%i" }
[jobs.api]
command = "./api"
depends_on = ["web"]
)");
  REQUIRE(r.errors.empty());
  REQUIRE(r.config->jobs.size() == 4);
  for (int i = 0; i < 3; ++i) {
    const auto& j = r.config->jobs[static_cast<std::size_t>(i)];
    CHECK(j.name == "web@" + std::to_string(i));
    CHECK(j.instance_of == "web");
    CHECK(j.argv == std::vector<std::string>{"./web", "--port=80" + std::to_string(i), "--name=%i"});
    CHECK(j.environment.at("SLOT") == std::to_string(i));
    CHECK(j.stdout_file == j.name + ".out");
  }
  const auto* api = r.config->find("api");
  REQUIRE(api != nullptr);
  REQUIRE(api->depends_on.size() == 3);
  CHECK(api->depends_on[2].job == "web@2");
  CHECK(api->instance_of.empty());
}

TEST_CASE("reload from 4 instances to 2 removes the last two only", "[config][instances]") {
  const auto four = parse("[jobs.web]\ncommand = \"./web %i\"\ninstances = 4\n");
  const auto two = parse("[jobs.web]\ncommand = \"./web %i\"\ninstances = 2\n");
  REQUIRE(four.errors.empty());
  REQUIRE(two.errors.empty());
  const auto d = diff(*four.config, *two.config);
  std::vector<std::string> removed, unchanged;
  for (const auto& j : d.jobs) {
    if (j.change == ChangeKind::Removed) removed.push_back(j.name);
    if (j.change == ChangeKind::Unchanged) unchanged.push_back(j.name);
  }
  CHECK(removed == std::vector<std::string>{"web@2", "web@3"});
  CHECK(unchanged == std::vector<std::string>{"web@0", "web@1"});
}

TEST_CASE("instances and %i mistakes are errors with a position", "[config][instances]") {
  CHECK(messages(parse("[jobs.web]\ncommand = \"./web\"\ninstances = 0\n")) ==
        std::vector<std::string>{"supd.toml:3:13: instances: must be at least 1, got 0 (leave it out for one copy)"});
  CHECK(has_message(parse("[jobs.web]\ncommand = \"./web --port=80%i\"\n"),
                    "supd.toml:2:11: command: %i is the instance number, but job \"web\" has no instances"));
  CHECK(has_message(parse("[jobs.web]\ncommand = \"./web\"\nstdout = \"web-%i.out\"\n"), "stdout: %i is the instance"));
  CHECK(has_message(parse("[defaults]\ninstances = 2\n[jobs.web]\ncommand = \"./web\"\n"),
                    "instances: set it per job"));
  CHECK(has_message(parse("[jobs.web]\ncommand = \"./web\"\ninstances = 2\nstdout = \"web.out\"\n"),
                    "is also written by job"));
  CHECK(parse("[jobs.web]\ncommand = \"printf %%i\"\n").errors.empty());
}

TEST_CASE("limits and umask read as setrlimit and umask want them", "[config][limits]") {
  const auto r = parse(R"(
[jobs.a]
command = "./a"
limits = { nofile = 4096, core = "unlimited", as = "2GiB", cpu = "1h" }
umask = "0027"
[jobs.b]
command = "./b"
umask = 0o077
)");
  REQUIRE(messages(r).empty());
  const auto& a = r.config->jobs[0];
  REQUIRE(a.limits.size() == 4);
  CHECK(a.limits[0].name == "as");
  CHECK(a.limits[0].resource == RLIMIT_AS);
  CHECK(a.limits[0].value == std::optional<std::uint64_t>(2ull << 30));
  CHECK(a.limits[1].name == "core");
  CHECK_FALSE(a.limits[1].value.has_value());
  CHECK(a.limits[2].name == "cpu");
  CHECK(a.limits[2].value == std::optional<std::uint64_t>(3600));
  CHECK(a.limits[3].value == std::optional<std::uint64_t>(4096));
  CHECK(a.umask == std::optional<unsigned>(027));
  CHECK(r.config->jobs[1].umask == std::optional<unsigned>(077));
}

TEST_CASE("limit and umask mistakes are errors with a position", "[config][limits]") {
  CHECK(has_message(parse("[jobs.a]\ncommand = \"./a\"\nlimits = { nofiles = 10 }\n"),
                    "supd.toml:3:12: limits: unknown limit \"nofiles\" (did you mean \"nofile\"?)"));
  CHECK(has_message(parse("[jobs.a]\ncommand = \"./a\"\nlimits = { as = \"lots\" }\n"),
                    "limits.as: cannot read \"lots\""));
  CHECK(has_message(parse("[jobs.a]\ncommand = \"./a\"\nlimits = { nofile = 1099511627776 }\n"), "limits.nofile: "));
  CHECK(has_message(parse("[jobs.a]\ncommand = \"./a\"\numask = \"0999\"\n"), "umask: \"0999\" is not an octal mode"));
  CHECK(has_message(parse("[jobs.a]\ncommand = \"./a\"\numask = 22\n"), "umask: 22 is not an octal mode"));
}

TEST_CASE("cgroup limits read as sizes, a share of a CPU and a count", "[config][cgroup]") {
  const auto r = parse(R"(
[defaults]
memory_max = "1GiB"
[jobs.a]
command = "./a"
memory_max = "256MiB"
memory_high = "200MiB"
cpu_max = "50%"
pids_max = 100
[jobs.b]
command = "./b"
memory_max = "max"
)");
  REQUIRE(messages(r).empty());
  const auto& a = r.config->jobs[0].cgroup;
  CHECK(a.memory_max == std::optional<std::uint64_t>(256ull << 20));
  CHECK(a.memory_high == std::optional<std::uint64_t>(200ull << 20));
  CHECK(a.cpu_max_percent == std::optional<double>(50));
  CHECK(a.pids_max == std::optional<long>(100));
  CHECK_FALSE(r.config->jobs[1].cgroup.memory_max.has_value());
  CHECK(has_message(parse("[jobs.a]\ncommand = \"./a\"\ncpu_max = \"half\"\n"), "cpu_max: expected a share of one CPU"));
  CHECK(has_message(parse("[jobs.a]\ncommand = \"./a\"\nmemory_max = \"lots\"\n"), "memory_max: invalid size"));
}

TEST_CASE("user and group must exist and need root for another", "[config][user]") {
  CHECK(has_message(parse("[jobs.a]\ncommand = \"./a\"\nuser = \"no-such-user-supd\"\n"),
                    "supd.toml:3:8: user: no user named \"no-such-user-supd\" on this machine"));
  CHECK(has_message(parse("[jobs.a]\ncommand = \"./a\"\ngroup = \"no-such-group-supd\"\n"),
                    "group: no group named \"no-such-group-supd\""));
  const auto other = parse("[jobs.a]\ncommand = \"./a\"\nuser = \"nobody\"\n");
  if (::geteuid() == 0) {
    REQUIRE(messages(other).empty());
    CHECK(other.config->jobs[0].user == "nobody");
  } else {
    CHECK(has_message(other, "not root, so it cannot run a job as user \"nobody\""));
  }
}

TEST_CASE("env_file entries are absolute with their dash kept and are read at load", "[config][env_file]") {
  TempDir dir;
  write_in(dir, "app.env", "# secrets\nexport TOKEN=abc\n");
  write_in(dir, "bad.env", "GOOD=1\nnot a line\n");
  const auto text = "[jobs.a]\ncommand = \"./a\"\nenv_file = [\"" + (dir.path / "app.env").string() +
                    "\", \"-" + (dir.path / "missing.env").string() + "\"]\n";
  const auto r = parse(text);
  REQUIRE(messages(r).empty());
  CHECK(r.config->jobs[0].env_file ==
        std::vector<std::string>{(dir.path / "app.env").string(), "-" + (dir.path / "missing.env").string()});
  CHECK(parse("[jobs.a]\ncommand = \"./a\"\nenv_file = \"-rel.env\"\n").config->jobs[0].env_file ==
        std::vector<std::string>{"-/srv/cfg/rel.env"});

  const auto missing = parse("[jobs.a]\ncommand = \"./a\"\nenv_file = [\"" + (dir.path / "missing.env").string() + "\"]\n");
  CHECK(has_message(missing, "supd.toml:3:12: env_file: " + (dir.path / "missing.env").string()));
  const auto bad = parse("[jobs.a]\ncommand = \"./a\"\nenv_file = [\"" + (dir.path / "bad.env").string() + "\"]\n");
  CHECK(has_message(bad, "env_file: " + (dir.path / "bad.env").string() + ":2:"));
}

TEST_CASE("a change to the box needs a restart", "[config][diff]") {
  const auto a = parse("[jobs.a]\ncommand = \"./a\"\n");
  const auto b = parse("[jobs.a]\ncommand = \"./a\"\numask = \"0077\"\nlimits = { nofile = 100 }\nmemory_max = \"1GiB\"\n");
  REQUIRE(b.errors.empty());
  const auto d = diff(*a.config, *b.config);
  REQUIRE(d.jobs.size() == 1);
  CHECK(d.jobs[0].needs_restart());
  CHECK(d.jobs[0].fields.size() == 3);
}
