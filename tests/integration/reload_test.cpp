// supctl reload and SIGHUP: a refused reload touches nothing, an applied one restarts only
// what must restart, removes and adds jobs, and --dry-run only shows.
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr const char* kBase = R"(
[jobs.keep]
command = ["sleep", "1000"]

[jobs.change]
command = ["sleep", "1000"]

[jobs.gone]
command = ["sleep", "1000"]
stop_timeout = "5s"
)";

void rewrite(TestDaemon& d, std::string_view toml) { write_file(d.config_path(), d.expand(toml)); }

}  // namespace

TEST_CASE("a reload with errors changes nothing and names every error", "[integration][reload]") {
  TestDaemon d(kBase);
  const pid_t keep = d.wait_running("keep"), change = d.wait_running("change"), gone = d.wait_running("gone");
  REQUIRE((keep && change && gone));
  // Half valid: a changed command and a new job, plus two mistakes on lines 3 and 8.
  rewrite(d, "[jobs.keep]\ncommand = [\"sleep\", \"1000\"]\nstop_signal = \"TREM\"\n"
             "[jobs.change]\ncommand = [\"sleep\", \"2000\"]\n"
             "[jobs.gone]\ncommand = [\"sleep\", \"1000\"]\nbogus_key = 1\n"
             "[jobs.extra]\ncommand = [\"sleep\", \"1000\"]\n");
  const auto r = d.ctl({"reload"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "supd.toml:3:"));
  CHECK(contains(r.err, "supd.toml:8:"));
  CHECK(r.out.empty());
  // The running set is untouched: same pids, no new job.
  CHECK(d.job_pid("keep") == keep);
  CHECK(d.job_pid("change") == change);
  CHECK(d.job_pid("gone") == gone);
  CHECK(d.state("extra").empty());

  const auto j = d.ctl({"--json", "reload", "--dry-run"});
  CHECK(j.exit_code == kRefused);
  const auto doc = json::parse(j.out, nullptr, false);
  REQUIRE(doc.is_object());
  CHECK(doc["errors"].size() == 2);
  CHECK(doc["applied"] == false);
  d.finish();
}

TEST_CASE("a reload restarts changed jobs only, stops removed ones and starts added ones",
          "[integration][reload]") {
  TestDaemon d(kBase);
  const pid_t keep = d.wait_running("keep"), change = d.wait_running("change"), gone = d.wait_running("gone");
  REQUIRE((keep && change && gone));
  const auto gone_proc = ProcId::of(gone);
  rewrite(d, R"(
[jobs.keep]
command = ["sleep", "1000"]
stop_timeout = "3s"     # in place: no restart

[jobs.change]
command = ["sleep", "2000"]

[jobs.added]
command = ["sleep", "1000"]

[jobs.manual]
command = ["sleep", "1000"]
autostart = false
)");
  const auto r = d.ctl({"reload"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == kOk);
  CHECK(contains(r.out, "change: changed command (restart)\n"));
  CHECK(contains(r.out, "keep: changed stop_timeout (in place)\n"));
  CHECK(contains(r.out, "+ added: added\n"));
  CHECK(contains(r.out, "+ manual: added\n"));
  CHECK(contains(r.out, "- gone: removed\n"));

  const pid_t changed = d.wait_new_pid("change", change);
  CHECK(changed != 0);
  CHECK(eventually([&] { return d.job("change") && (*d.job("change"))["pid"] == changed; }));
  CHECK(d.wait_running("added") != 0);
  CHECK(d.state("manual") == "stopped");
  CHECK(eventually([&] { return !gone_proc.alive(); }));
  CHECK(eventually([&] { return d.state("gone").empty(); }));
  CHECK(d.job_pid("keep") == keep);
  const auto st = d.status_json();
  REQUIRE(st);
  CHECK((*st)["jobs"].size() == 4);

  // Applied: the same file again is no change at all.
  const auto again = d.ctl({"reload"});
  CHECK(again.exit_code == kOk);
  CHECK(again.out == "no changes\n");
  CHECK(d.job_pid("keep") == keep);
  d.finish();
}

TEST_CASE("reload --dry-run shows the diff and changes nothing", "[integration][reload]") {
  TestDaemon d(kBase);
  const pid_t change = d.wait_running("change");
  REQUIRE(change);
  rewrite(d, "[jobs.keep]\ncommand = [\"sleep\", \"1000\"]\n[jobs.change]\ncommand = \"sleep 2000\"\n"
             "[jobs.gone]\ncommand = [\"sleep\", \"1000\"]\nstop_timeout = \"5s\"\n[jobs.web]\ncommand = \"sleep 1000\"\n");
  const auto r = d.ctl({"reload", "--dry-run"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "change: changed command (restart)"));
  CHECK(contains(r.out, "+ web: added"));
  CHECK(contains(r.out, "dry run"));
  const auto j = d.ctl({"--json", "reload", "--dry-run"});
  REQUIRE(j.exit_code == kOk);
  const auto doc = json::parse(j.out, nullptr, false);
  REQUIRE(doc.is_object());
  CHECK(doc["dry_run"] == true);
  CHECK(doc["applied"] == false);
  CHECK(doc["errors"].empty());
  bool saw = false;
  for (const auto& job : doc["jobs"])
    if (job["name"] == "change") {
      saw = true;
      CHECK(job["change"] == "changed");
      CHECK(job["restart"] == true);
      REQUIRE(job["fields"].size() == 1);
      CHECK(job["fields"][0]["field"] == "command");
      CHECK(job["fields"][0]["old"] == R"(["sleep", "1000"])");
      CHECK(job["fields"][0]["new"] == R"(["sleep", "2000"])");
      CHECK(job["fields"][0]["restart"] == true);
    }
  CHECK(saw);
  CHECK(d.job_pid("change") == change);
  CHECK(d.state("web").empty());
  d.finish();
}

TEST_CASE("SIGHUP to supd reloads the config", "[integration][reload]") {
  TestDaemon d(kBase);
  REQUIRE(d.wait_running("keep"));
  const pid_t supd = d.pid();
  rewrite(d, std::string(kBase) + "\n[jobs.hup]\ncommand = [\"sleep\", \"1000\"]\n");
  d.kill_daemon(SIGHUP);
  CHECK(d.wait_running("hup") != 0);
  CHECK(d.pid() == supd);
  CHECK(contains(d.supd_output(), "reload: hup added"));

  // A broken file on SIGHUP: logged with its position, nothing changes.
  rewrite(d, "[jobs.keep\n");
  d.kill_daemon(SIGHUP);
  CHECK(eventually([&] { return contains(d.supd_output(), "supd.toml:1:"); }));
  CHECK(d.job_pid("hup") != 0);
  d.finish();
}

TEST_CASE("a reload that sets log_max_size rotates the running job's log without restarting it",
          "[integration][reload]") {
  // A line every few ms, for as long as the test runs: the file only grows while unlimited.
  constexpr const char* kWriter = R"([jobs.chatty]
command = ["/bin/sh", "-c", "while :; do echo 0123456789012345678901234567890123456789012345678901234567890123456789; sleep 0.002; done"]
)";
  TestDaemon d(kWriter);
  const pid_t pid = d.wait_running("chatty");
  REQUIRE(pid);
  const auto log = d.log_file("chatty");
  REQUIRE(eventually([&] { return fs::exists(log) && fs::file_size(log) > 4096; }));
  CHECK_FALSE(fs::exists(log.string() + ".1"));
  rewrite(d, std::string(kWriter) + "log_max_size = \"4KiB\"\nlog_keep = 2\n");
  const auto r = d.ctl({"reload"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == kOk);
  CHECK(contains(r.out, "log_max_size"));
  // Applied to the open file: it rotates now, at 4 KiB, not at the job's next start.
  CHECK(eventually([&] { return fs::exists(log.string() + ".2"); }));
  CHECK(eventually([&] { return fs::exists(log) && fs::file_size(log) <= 4096; }));
  CHECK_FALSE(fs::exists(log.string() + ".3"));
  CHECK(d.job_pid("chatty") == pid);
  d.finish();
}
