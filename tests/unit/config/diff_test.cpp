// config::diff: per job added/removed/changed/unchanged, per field what changed and whether
// the running process must be replaced for it.
#include <catch2/catch.hpp>

#include "config/diff.hpp"
#include "tests/unit/config/config_test_util.hpp"

using namespace supd::config;

namespace {

Config load(std::string_view text) {
  auto r = test::parse(text);
  INFO(Catch::Detail::stringify(test::messages(r)));
  REQUIRE(r.config);
  return *r.config;
}

const JobDiff* find(const ConfigDiff& d, std::string_view name) {
  for (const auto& j : d.jobs)
    if (j.name == name) return &j;
  return nullptr;
}

}  // namespace

TEST_CASE("identical configs have no changes", "[config][diff]") {
  const auto a = load("[jobs.a]\ncommand = \"sleep 1\"\n[jobs.b]\ncommand = [\"true\"]\n");
  const auto d = diff(a, a);
  CHECK_FALSE(d.has_changes());
  REQUIRE(d.jobs.size() == 2);
  CHECK(d.jobs[0].change == ChangeKind::Unchanged);
  CHECK(d.jobs[1].change == ChangeKind::Unchanged);
  CHECK(d.jobs[0].fields.empty());
}

TEST_CASE("added, removed and changed jobs", "[config][diff]") {
  const auto a = load("[jobs.keep]\ncommand = \"sleep 1\"\n[jobs.old]\ncommand = \"sleep 2\"\n"
                      "[jobs.cmd]\ncommand = \"sleep 3\"\n");
  const auto b = load("[jobs.keep]\ncommand = \"sleep 1\"\n[jobs.cmd]\ncommand = \"sleep 4\"\n"
                      "[jobs.web]\ncommand = \"sleep 5\"\n");
  const auto d = diff(a, b);
  CHECK(d.has_changes());
  REQUIRE(d.jobs.size() == 4);
  // The new file's order, then what it dropped.
  CHECK(d.jobs[0].name == "keep");
  CHECK(d.jobs[1].name == "cmd");
  CHECK(d.jobs[2].name == "web");
  CHECK(d.jobs[3].name == "old");
  CHECK(d.jobs[0].change == ChangeKind::Unchanged);
  CHECK(d.jobs[1].change == ChangeKind::Changed);
  CHECK(d.jobs[2].change == ChangeKind::Added);
  CHECK(d.jobs[3].change == ChangeKind::Removed);
  REQUIRE(d.jobs[1].fields.size() == 1);
  CHECK(d.jobs[1].fields[0] == FieldChange{"command", R"(["sleep", "3"])", R"(["sleep", "4"])", true});
  CHECK(d.jobs[1].needs_restart());
  CHECK(to_string(ChangeKind::Removed) == "removed");
}

TEST_CASE("fields that need a restart and fields applied in place", "[config][diff]") {
  const auto a = load("[jobs.a]\ncommand = \"x\"\n");
  SECTION("restart class") {
    for (const char* line : {"directory = \"/tmp\"", "environment = { A = \"1\" }", "ignore_signals = []",
                             "stdout = \"other.out\"", "stderr = \"a.err\"", "shell = true"}) {
      const auto b = load(std::string("[jobs.a]\ncommand = \"x\"\n") + line + "\n");
      const auto d = diff(a, b);
      INFO(line);
      REQUIRE(d.jobs.size() == 1);
      CHECK(d.jobs[0].change == ChangeKind::Changed);
      CHECK(d.jobs[0].needs_restart());
    }
  }
  SECTION("in place") {
    for (const char* line : {"restart = \"always\"", "start_secs = 0", "start_retries = 9",
                             "backoff_initial = \"2s\"", "backoff_max = \"5s\"", "stop_signal = \"INT\"",
                             "stop_timeout = \"3s\"", "forward_signals = [\"USR1\"]", "log_max_size = \"1MiB\"",
                             "log_keep = 2", "autostart = false"}) {
      const auto b = load(std::string("[jobs.a]\ncommand = \"x\"\n") + line + "\n");
      const auto d = diff(a, b);
      INFO(line);
      REQUIRE(d.jobs.size() == 1);
      CHECK(d.jobs[0].change == ChangeKind::Changed);
      REQUIRE(d.jobs[0].fields.size() == 1);
      CHECK_FALSE(d.jobs[0].needs_restart());
    }
  }
}

TEST_CASE("field values are rendered short and readable", "[config][diff]") {
  const auto a = load("[jobs.a]\ncommand = \"x\"\nstop_timeout = \"10s\"\nstop_signal = \"TERM\"\n");
  const auto b = load("[jobs.a]\ncommand = \"x\"\nstop_timeout = \"1500ms\"\nstop_signal = \"USR1\"\n"
                      "environment = { K = \"v \\\"q\\\"\" }\n");
  const auto fields = diff_job(a.jobs[0], b.jobs[0]);
  REQUIRE(fields.size() == 3);
  CHECK(fields[0] == FieldChange{"environment", "{}", R"({K="v \"q\""})", true});
  CHECK(fields[1].field == "stop_signal");
  CHECK(fields[1].old_value == "TERM");
  CHECK(fields[1].new_value == "USR1");
  CHECK(fields[2].field == "stop_timeout");
  CHECK(fields[2].old_value == "10s");

  JobSpec x, y;
  y.argv.assign(100, "word");
  const auto f = diff_job(x, y);
  REQUIRE(f.size() == 1);
  CHECK(f[0].new_value.size() <= 120);
  CHECK(f[0].new_value.ends_with("..."));
}

TEST_CASE("a log_dir change is reported as a supd setting", "[config][diff]") {
  const auto a = load("[jobs.a]\ncommand = \"x\"\n");
  const auto b = load("[supd]\nlog_dir = \"/var/tmp/logs\"\n[jobs.a]\ncommand = \"x\"\n");
  const auto d = diff(a, b);
  CHECK(d.has_changes());
  REQUIRE(d.supd.size() == 1);
  CHECK(d.supd[0].field == "log_dir");
  CHECK(d.supd[0].new_value == "/var/tmp/logs");
  CHECK(find(d, "a")->change == ChangeKind::Unchanged);
}
