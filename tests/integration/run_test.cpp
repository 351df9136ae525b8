// supctl run (ad-hoc jobs, the `nohup CMD &` replacement) and supctl persist.
#include <unistd.h>

#include "tests/support/harness.hpp"

using namespace supd::test;

TEST_CASE("run starts an ad-hoc job with its output in the log dir", "[integration][run]") {
  TestDaemon d(R"(
[jobs.conf]
command = ["sleep", "1000"]
)");
  const auto r = d.ctl({"run", "web", "--env", "GREETING=hi there", "--directory", d.dir().string(), "--", "sh",
                        "-c", "echo \"$GREETING from $(pwd)\"; exec sleep 1000"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == kOk);
  CHECK(contains(r.out, "web: RUNNING (pid "));
  const auto j = d.job("web");
  REQUIRE(j);
  CHECK((*j)["state"] == "running");
  CHECK((*j)["origin"] == "run");
  CHECK((*d.job("conf"))["origin"] == "config");
  const std::string expected = "hi there from " + d.dir().string() + "\n";
  CHECK(eventually([&] { return d.read_log("web") == expected; }));
  const pid_t pid = d.job_pid("web");
  CHECK(cwd_of(pid) == d.dir().string());
  CHECK(environ_of(pid)["GREETING"] == "hi there");

  SECTION("a name that exists is refused") {
    for (const char* name : {"web", "conf"}) {
      const auto dup = d.ctl({"run", name, "--", "sleep", "1"});
      INFO(dup.out << dup.err);
      CHECK(dup.exit_code == kRefused);
      CHECK(is_one_line(dup.err));
      CHECK(contains(dup.err, "job '" + std::string(name) + "' already exists"));
    }
    CHECK(d.job_pid("web") == pid);
  }
  SECTION("the default directory is supctl's cwd, and an ad-hoc job survives a reload") {
    const auto here = d.ctl({"run", "here", "--restart", "never", "--", "sh", "-c", "pwd; exec sleep 1000"});
    INFO(here.err);
    REQUIRE(here.exit_code == kOk);
    char cwd[4096];
    REQUIRE(::getcwd(cwd, sizeof cwd));
    CHECK(eventually([&] { return d.read_log("here") == std::string(cwd) + "\n"; }));
    const auto reload = d.ctl({"reload"});
    CHECK(reload.exit_code == kOk);
    CHECK(reload.out == "no changes\n");
    CHECK(d.job_pid("web") == pid);
  }
  d.finish();
}

TEST_CASE("run of a command that cannot start exits 1 with the exec error", "[integration][run]") {
  TestDaemon d("");
  const auto r = d.ctl({"run", "ghost", "--", "/nonexistent/prog", "x"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "No such file or directory"));
  CHECK(d.state("ghost") == "fatal");
  // A finished ad-hoc job makes room for the next run of that name.
  const auto again = d.ctl({"run", "ghost", "--", "sleep", "1000"});
  CHECK(again.exit_code == kOk);
  CHECK(d.state("ghost") == "running");

  const auto usage = d.ctl({"run", "nocmd"});
  CHECK(usage.exit_code == kUsage);
  CHECK(contains(usage.err, "missing command"));
  const auto nodash = d.ctl({"run", "x", "sleep", "1"});
  CHECK(nodash.exit_code == kUsage);
  CHECK(contains(nodash.err, "put '--' before the command"));
  d.finish();
}

TEST_CASE("run of a job that dies at once quotes its last output line and points at why", "[integration][run]") {
  TestDaemon d("");
  const auto r = d.ctl({"run", "bad", "--restart", "never", "--", "sh", "-c",
                        "echo starting; echo \"python3: can't open file 'x.py'\" >&2; exit 2"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "bad: exited 2 (exited)"));
  CHECK(contains(r.err, "; last output: \"python3: can't open file 'x.py'\"; see: supctl why bad"));
  // An exec failure said nothing: no output is quoted, not even an older run's.
  REQUIRE(d.ctl({"remove", "bad"}).exit_code == kOk);
  const auto ghost = d.ctl({"run", "bad", "--", "/nonexistent/prog"});
  CHECK(ghost.exit_code == kRefused);
  CHECK(is_one_line(ghost.err));
  CHECK_FALSE(contains(ghost.err, "last output"));
  CHECK(contains(ghost.err, "see: supctl why bad"));
  d.finish();
}

TEST_CASE("persist writes only what run was given and says what [defaults] adds", "[integration][run]") {
  TestDaemon d(R"(
[defaults]
stop_timeout = "30s"
)");
  REQUIRE(d.ctl({"run", "web", "--", "sleep", "1000"}).exit_code == kOk);
  const auto p = d.ctl({"persist", "web"});
  INFO(p.out << p.err);
  REQUIRE(p.exit_code == kOk);
  CHECK(contains(p.out, "web: added to "));
  CHECK(contains(p.out, "; from [defaults]: stop_timeout = 30s (was 10s)"));
  const auto text = read_file(d.config_path());
  INFO(text);
  const auto table = text.substr(text.find("[jobs.web]"));
  CHECK(contains(table, "command = "));
  CHECK_FALSE(contains(table, "stop_timeout"));  // [defaults] gives it; the job's table does not repeat it
  CHECK_FALSE(contains(table, "restart"));       // not given to run
  CHECK(d.ctl({"reload"}).out == "no changes\n");
  d.finish();
}

TEST_CASE("persist appends the ad-hoc job to the config and a reload then changes nothing",
          "[integration][run]") {
  const std::string old_text = "# my jobs, hand written\n[jobs.conf]\ncommand = [\"sleep\", \"1000\"]  # trailing";
  TestDaemon d(old_text);
  const auto original = read_file(d.config_path());
  REQUIRE(d.ctl({"run", "web.1", "--restart", "always", "--env", "Q=a \"quoted\" 'str'\\", "--", "sh", "-c",
                 "echo \"$Q\" 'it''s'; exec sleep 1000"})
              .exit_code == kOk);
  const pid_t pid = d.job_pid("web.1");
  REQUIRE(pid);

  const auto p = d.ctl({"persist", "web.1"});
  INFO(p.out << p.err);
  REQUIRE(p.exit_code == kOk);
  CHECK(contains(p.out, "web.1: added to "));
  const auto text = read_file(d.config_path());
  INFO(text);
  CHECK(text.rfind(original, 0) == 0);  // the old text byte for byte, as the prefix
  CHECK(contains(text, "web.1"));
  CHECK((*d.job("web.1"))["origin"] == "config");

  const auto check = d.run_supd({"--check", "--config", d.config_path().string()});
  CHECK(check.exit_code == 0);
  const auto reload = d.ctl({"reload"});
  INFO(reload.out << reload.err);
  CHECK(reload.exit_code == kOk);
  CHECK(reload.out == "no changes\n");
  CHECK(d.job_pid("web.1") == pid);

  const auto again = d.ctl({"persist", "web.1"});
  CHECK(again.exit_code == kRefused);
  CHECK(contains(again.err, "already in the config file"));
  const auto unknown = d.ctl({"persist", "nosuch"});
  CHECK(unknown.exit_code == kRefused);
  CHECK(read_file(d.config_path()) == text);
  d.finish();
}

TEST_CASE("remove stops an ad-hoc job and forgets it and refuses a config job", "[integration][run][remove]") {
  TestDaemon d(R"(
[jobs.conf]
command = ["sleep", "1000"]
)");
  REQUIRE(d.wait_running("conf") > 0);
  REQUIRE(d.ctl({"run", "web", "--", "sh", "-c", "echo hello; exec sleep 1000"}).exit_code == kOk);
  const pid_t pid = d.job_pid("web");
  REQUIRE(pid > 0);
  REQUIRE(eventually([&] { return d.read_log("web") == "hello\n"; }));

  const auto conf = d.ctl({"remove", "conf"});
  CHECK(conf.exit_code == kRefused);
  CHECK(is_one_line(conf.err));
  CHECK(contains(conf.err, "job 'conf' comes from the config file; remove it there and run supctl reload"));
  CHECK(d.state("conf") == "running");
  const auto unknown = d.ctl({"remove", "nosuch"});
  CHECK(unknown.exit_code == kRefused);
  CHECK(contains(unknown.err, "no job named 'nosuch'"));

  const auto r = d.ctl({"remove", "web"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(r.out == "web: removed\n");
  CHECK_FALSE(d.job("web"));  // gone from status, its process gone (reaped), its events too
  CHECK_FALSE(proc_stat(pid));
  CHECK(d.ctl({"events", "web"}).exit_code == kRefused);
  CHECK(contains(d.ctl({"events"}).out, "remove: ad-hoc job web stopped and forgotten"));
  CHECK(d.read_log("web") == "hello\n");  // the log file stays
  // The name is free again.
  REQUIRE(d.ctl({"run", "web", "--", "sleep", "1000"}).exit_code == kOk);
  const auto nowait = d.ctl({"remove", "--no-wait", "web"});
  CHECK(nowait.exit_code == kOk);
  CHECK(eventually([&] { return !d.job("web"); }));
  d.finish();
}
