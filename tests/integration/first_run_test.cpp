// The README's first run, as a newcomer does it (issue 17): what supd says on the terminal
// when it finds no config file.
#include "tests/support/harness.hpp"

using namespace supd::test;

TEST_CASE("supd --detach without a config file says so on the terminal with the path and the next step",
          "[integration][first_run][issue17]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d("", opts);
  const fs::path expected = d.dir() / "config" / "supd" / "supd.toml";  // XDG_CONFIG_HOME's default
  const auto r = run_process({SUPD_BIN, "--socket", d.socket().string(), "--log-dir", d.log_dir().string(), "--detach"},
                             d.env(), 30s);
  INFO("exit " << r.exit_code << "\nout: " << r.out << "\nerr: " << r.err);
  CHECK_FALSE(r.timed_out);
  REQUIRE(r.exit_code == 0);  // it runs, with no jobs, and says so
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "no config at " + expected.string()));
  CHECK(contains(r.err, "supctl reload"));

  const auto status = d.ctl({"--json", "status"});
  CHECK(status.exit_code == kOk);
  const auto shutdown = d.ctl({"shutdown"});
  CHECK(shutdown.exit_code == kOk);
  CHECK(eventually([&] { return d.tagged().empty() && !fs::exists(d.socket()); }));
}

TEST_CASE("a relative script missing from the job's directory is a warning at --check and at reload --dry-run",
          "[integration][first_run][issue17]") {
  // The README's snippet, with amsa.py kept somewhere else than the config's directory.
  TestDaemon d(R"(
[jobs.keep]
command = ["sleep", "1000"]
)");
  REQUIRE(d.wait_running("keep") > 0);
  write_file(d.config_path(), d.expand(R"(
[jobs.keep]
command = ["sleep", "1000"]

[jobs.amsa]
command = ["python3", "amsa.py"]
start_secs = "60s"  # however slow python3 starts on a loaded machine, its exit comes first
)"));
  const auto check = d.run_supd({"--check", "--config", d.config_path().string()});
  INFO("--check: " << check.out << check.err);
  CHECK(check.exit_code == 0);  // valid: the file may yet appear
  CHECK(contains(check.err, d.config_path().string() + ":6:"));
  CHECK(contains(check.err, "warning: job amsa: amsa.py is not in " + d.dir().string()));

  const auto dry = d.ctl({"reload", "--dry-run"});
  INFO("reload --dry-run: " << dry.out << dry.err);
  CHECK(dry.exit_code == kOk);
  CHECK(contains(dry.out, "+ amsa: added\n"));
  CHECK(contains(dry.out, "note: "));
  CHECK(contains(dry.out, "amsa.py is not in " + d.dir().string()));

  // Applied anyway: the job fails, and what it says names where it ran.
  const auto applied = d.ctl({"reload"});
  INFO("reload: " << applied.out << applied.err);
  CHECK(applied.exit_code == kRefused);
  CHECK(contains(applied.err, "amsa: "));
  CHECK(contains(applied.err, "(in " + d.dir().string() + ")"));
  d.finish();
}
