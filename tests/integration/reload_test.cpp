// supctl reload and SIGHUP: a refused reload touches nothing, an applied one restarts only
// what must restart, removes and adds jobs, and --dry-run only shows.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

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

TEST_CASE("a reload with errors changes nothing and names every error", "[integration][reload][R67]") {
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
  CHECK(is_error_list(r.err));  // each error on its own line (issue 17)
  CHECK(split_lines(r.err).size() == 3);
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
          "[integration][reload][R66]") {
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

TEST_CASE("reload --dry-run shows the diff and changes nothing", "[integration][reload][R66]") {
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

TEST_CASE("SIGHUP to supd reloads the config", "[integration][reload][R68][R67]") {
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

TEST_CASE("R67 a reload with a TOML syntax error exits 1 with the position and keeps every pid",
          "[integration][reload][R67]") {
  TestDaemon d(kBase);
  const pid_t keep = d.wait_running("keep"), change = d.wait_running("change"), gone = d.wait_running("gone");
  REQUIRE((keep && change && gone));
  rewrite(d, "[jobs.keep]\ncommand = [\"sleep\", \"1000\"\n");  // the array never closes
  const auto r = d.ctl({"reload"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_error_list(r.err));
  CHECK(contains(r.err, d.config_path().string() + ":"));
  CHECK(d.job_pid("keep") == keep);
  CHECK(d.job_pid("change") == change);
  CHECK(d.job_pid("gone") == gone);
  d.finish();
}

TEST_CASE("R66 a hundred jobs: change one, add one, remove one, and the other 97 keep their pids",
          "[integration][reload][R66]") {
  auto config = [](const std::string& changed_cmd, bool with_new, bool with_j100) {
    std::string c = "[defaults]\nstart_secs = 0\n";
    for (int i = 1; i <= 100; ++i) {
      if (i == 100 && !with_j100) continue;
      c += "[jobs.j" + std::to_string(i) + "]\ncommand = " + (i == 1 ? changed_cmd : "[\"sleep\", \"1000\"]") + "\n";
    }
    if (with_new) c += "[jobs.fresh]\ncommand = [\"sleep\", \"1000\"]\n";
    return c;
  };
  TestDaemon d(config("[\"sleep\", \"1000\"]", false, true));
  std::map<std::string, pid_t> before;
  REQUIRE(eventually([&] {
    const auto st = d.status_json();
    if (!st) return false;
    before.clear();
    for (const auto& j : (*st)["jobs"])
      if (j["state"] == "running") before[j["name"]] = j["pid"].get<pid_t>();
    return before.size() == 100;
  }, 60s));
  rewrite(d, config("[\"sleep\", \"2000\"]", true, false));
  const auto dry = d.ctl({"reload", "--dry-run"});
  INFO(dry.out << dry.err);
  CHECK(dry.exit_code == kOk);
  CHECK(contains(dry.out, "j1: changed command (restart)"));
  CHECK(contains(dry.out, "+ fresh: added"));
  CHECK(contains(dry.out, "- j100: removed"));
  CHECK(d.job_pid("j1") == before["j1"]);
  CHECK(d.state("fresh").empty());
  CHECK(d.job_pid("j100") == before["j100"]);

  const auto r = d.ctl({"reload"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  const pid_t j1 = d.wait_new_pid("j1", before["j1"]);
  CHECK(j1 != 0);
  CHECK(d.wait_running("fresh") != 0);
  CHECK(eventually([&] { return d.state("j100").empty(); }));
  const auto st = d.status_json();
  REQUIRE(st);
  int kept = 0;
  for (const auto& j : (*st)["jobs"]) {
    const auto name = j["name"].get<std::string>();
    if (name != "j1" && name != "fresh" && j["pid"] == before[name]) ++kept;
    if (name == "j1") CHECK(j["pid"] == j1);  // restarted once, not twice
  }
  CHECK(kept == 98);  // j2..j99
  d.finish();
}

TEST_CASE("R70 a reload during a stop escalation and during a crash loop leaves no stuck state",
          "[integration][reload][R70]") {
  TestDaemon d(R"(
[jobs.stubborn]
command = ["@HELPERS@/unkillable", "-g"]
stop_timeout = "2s"

[jobs.crash]
command = ["@HELPERS@/crasher", "exit", "3"]
start_secs = 1
backoff_initial = "500ms"
start_retries = 100
)");
  REQUIRE(d.wait_running("stubborn") > 0);
  REQUIRE(d.wait_state("crash", "backoff"));
  REQUIRE(d.ctl({"stop", "--no-wait", "stubborn"}).exit_code == kOk);
  REQUIRE(d.state("stubborn") == "stopping");
  // Both jobs change, the stopping one and the crash-looping one; one more appears.
  rewrite(d, R"(
[jobs.stubborn]
command = ["@HELPERS@/unkillable"]
stop_timeout = "1s"

[jobs.crash]
command = ["sleep", "1000"]
start_secs = 1

[jobs.extra]
command = ["sleep", "1000"]
)");
  const auto r = d.ctl({"reload"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  // Every job settles: nothing stays stopping or backoff for ever.
  CHECK(eventually([&] {
    const auto st = d.status_json();
    if (!st) return false;
    for (const auto& j : (*st)["jobs"])
      if (j["state"] != "running" && j["state"] != "stopped") return false;
    return (*st)["jobs"].size() == 3;
  }, 30s));
  CHECK(d.wait_running("crash") > 0);
  CHECK(d.wait_running("extra") > 0);
  d.finish();
}

TEST_CASE("R69 four clients reload a hundred times while the config is swapped by rename",
          "[integration][reload][stress][R69]") {
  const std::string a = "[defaults]\nstart_secs = 0\n[jobs.a]\ncommand = [\"sleep\", \"1000\"]\n"
                        "[jobs.b]\ncommand = [\"sleep\", \"1000\"]\n";
  const std::string b = "[defaults]\nstart_secs = 0\n[jobs.a]\ncommand = [\"sleep\", \"2000\"]\n"
                        "[jobs.b]\ncommand = [\"sleep\", \"1000\"]\n[jobs.c]\ncommand = [\"sleep\", \"1000\"]\n";
  TestDaemon d(a);
  REQUIRE(d.wait_running("b") > 0);
  std::atomic<bool> done{false};
  std::atomic<int> swaps{0};
  std::thread writer([&] {
    const auto tmp = d.dir() / "supd.toml.tmp";
    for (int i = 0; !done; ++i) {
      write_file(tmp, i % 2 ? a : b);
      fs::rename(tmp, d.config_path());
      ++swaps;
      std::this_thread::sleep_for(20ms);  // the writer's pace
    }
  });
  std::atomic<int> ok{0}, failed{0};
  std::string first_failure;
  std::mutex m;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const auto r = d.ctl({"reload"}, 60s);
        if (r.exit_code == kOk) {
          ++ok;
        } else {
          std::lock_guard lock(m);
          if (failed++ == 0) first_failure = r.out + r.err;
        }
      }
    });
  for (auto& c : clients) c.join();
  done = true;
  writer.join();
  INFO("reloads ok " << ok << ", failed " << failed << " (" << first_failure << "), swaps " << swaps);
  CHECK(ok == 100);
  // The last file wins once it is read.
  const bool last_is_b = read_file(d.config_path()) == b;
  REQUIRE(d.ctl({"reload"}).exit_code == kOk);
  CHECK(d.ctl({"reload", "--dry-run"}).out.find("no changes") != std::string::npos);
  const auto st = d.status_json();
  REQUIRE(st);
  CHECK((*st)["jobs"].size() == (last_is_b ? 3u : 2u));
  const pid_t apid = d.wait_running("a");
  REQUIRE(apid > 0);
  CHECK(contains(read_file("/proc/" + std::to_string(apid) + "/cmdline"), last_is_b ? "2000" : "1000"));
  CHECK(d.wait_running("b") > 0);
  d.finish();
}

TEST_CASE("reload says a fatal job changes at its next start and waits for what it starts",
          "[integration][reload][issue17]") {
  TestDaemon d(R"(
[jobs.broken]
command = ["@DIR@/missing-program"]
start_retries = 0

[jobs.keep]
command = ["sleep", "1000"]
)");
  REQUIRE(d.wait_state("broken", "fatal"));
  const pid_t keep = d.wait_running("keep");
  REQUIRE(keep > 0);
  fs::create_directory(d.dir() / "elsewhere");
  const std::string moved = R"(
[jobs.broken]
command = ["@DIR@/missing-program"]
start_retries = 0
directory = "@DIR@/elsewhere"

[jobs.keep]
command = ["sleep", "1000"]

[jobs.added]
command = ["sleep", "1000"]
start_secs = "1s"
)";
  rewrite(d, moved);
  const auto r = d.ctl({"reload"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "broken: changed directory (takes effect at its next start)\n"));  // nothing restarts
  CHECK(contains(r.out, "+ added: added\n"));
  CHECK(d.state("added") == "running");  // answered once it settled, as `start` answers
  CHECK(d.state("broken") == "fatal");
  CHECK(d.job_pid("keep") == keep);

  // An added job that cannot start: the diff, then exit 1 with why.
  rewrite(d, moved + R"(
[jobs.typo]
command = ["@DIR@/no-such-program"]
start_retries = 0
)");
  const auto failed = d.ctl({"reload"});
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code == kRefused);
  CHECK(contains(failed.out, "+ typo: added\n"));
  CHECK(is_one_line(failed.err));
  CHECK(contains(failed.err, "typo:"));
  CHECK(contains(failed.err, "fatal"));
  CHECK(d.state("typo") == "fatal");
  const auto j = d.ctl({"--json", "reload", "--dry-run"});
  const auto doc = json::parse(j.out, nullptr, false);
  REQUIRE(doc.is_object());
  CHECK(doc["failed"].empty());
  d.finish();
}
