// A job as a systemd unit: ExecStart quoting, and each key a supd setting maps to.
#include <catch2/catch.hpp>

#include <csignal>

#include "config/systemd_unit.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::config;

namespace {

JobSpec api() {
  JobSpec j;
  j.name = "api";
  j.argv = {"app", "--port=80", "two words"};
  j.directory = "/srv/api";
  j.stdout_file = "api.out";
  return j;
}

using supd::test_unit::has;

}  // namespace

TEST_CASE("exec_word quotes what systemd would split or expand", "[config][systemd_unit]") {
  CHECK(exec_word("--port=80") == "--port=80");
  CHECK(exec_word("two words") == "\"two words\"");
  CHECK(exec_word("50%") == "50%%");
  CHECK(exec_word("$HOME") == "$$HOME");
  CHECK(exec_word("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(exec_word(";") == "\";\"");
  CHECK(exec_word("") == "\"\"");
}

TEST_CASE("a job becomes a unit with the same command and directory and restart and stop", "[config][systemd_unit]") {
  auto j = api();
  j.environment = {{"MODE", "prod"}};
  j.restart = supd::common::RestartPolicy::Always;
  j.stop_signal = SIGINT;
  j.stop_timeout = std::chrono::milliseconds(1500);
  j.umask = 027;
  j.limits = {{"nofile", 7, 4096}, {"core", 4, std::nullopt}};
  j.cgroup.memory_max = 256ull << 20;
  j.cgroup.cpu_max_percent = 50;
  j.depends_on = {{"db", Condition::Running}};
  j.env_file = {"-/etc/api.env"};
  const auto unit = systemd_unit(j, "/var/log/supd", "/nowhere:/usr/local/bin");
  CHECK(unit_file_name(j) == "api.service");
  CHECK(has(unit, "\nRequires=db.service\nAfter=db.service\n"));
  CHECK(has(unit, "\nType=exec\n"));
  CHECK(has(unit, "\nExecStart=app --port=80 \"two words\"\n"));  // not on that PATH: left to systemd
  CHECK(has(unit, "\nWorkingDirectory=/srv/api\n"));
  CHECK(has(unit, "\nEnvironmentFile=-/etc/api.env\n"));
  CHECK(has(unit, "\nEnvironment=\"MODE=prod\"\n"));
  CHECK(has(unit, "\nEnvironment=\"PYTHONUNBUFFERED=1\"\n"));
  CHECK(has(unit, "\nRestart=always\nRestartSec=1s\n"));
  CHECK(has(unit, "\nKillSignal=SIGINT\nTimeoutStopSec=1500ms\n"));
  CHECK(has(unit, "\nStandardOutput=append:/var/log/supd/api.out\nStandardError=inherit\n"));
  CHECK(has(unit, "\nUMask=0027\n"));
  CHECK(has(unit, "\nLimitNOFILE=4096\n"));
  CHECK(has(unit, "\nLimitCORE=infinity\n"));
  CHECK(has(unit, "\nMemoryMax=268435456\n"));
  CHECK(has(unit, "\nCPUQuota=50%\n"));
  CHECK(has(unit, "\n[Install]\nWantedBy=default.target\n"));
}

TEST_CASE("a program found on PATH is named absolutely and a oneshot never restarts", "[config][systemd_unit]") {
  auto j = api();
  j.argv = {"sh", "-c", "true"};
  j.type = JobType::Oneshot;
  j.autostart = false;
  j.stderr_file = "api.err";
  const auto unit = systemd_unit(j, "/logs", "/usr/bin:/bin");
  CHECK(has(unit, "\nExecStart=/usr/bin/sh -c true\n"));
  CHECK(has(unit, "\nType=oneshot\nRemainAfterExit=yes\n"));
  CHECK(has(unit, "\nRestart=no\n"));
  CHECK(has(unit, "systemd restarts no oneshot unit"));
  CHECK(has(unit, "\nStandardError=append:/logs/api.err\n"));
  CHECK_FALSE(has(unit, "WantedBy="));
}
