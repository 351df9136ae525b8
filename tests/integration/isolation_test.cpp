// Each job in its own box (issue 19), against a real supd: env files, another user, limits and
// umask as /proc shows them, instances, and (where a cgroup v2 subtree is writable: as root) each
// job in its own cgroup: a setsid escapee stopped, every process in `inspect`, leftovers of a
// killed supd's job found by cgroup. Bad input: one file:line:col line per problem at --check.
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <set>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// Whether supd can give each job a cgroup here: a v2 hierarchy that root may write.
std::optional<std::string> no_cgroups() {
  if (::geteuid() != 0) return "not root";
  for (const char* m : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs st {};
    if (::statfs(m, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) return std::nullopt;
  }
  return "no cgroup v2 hierarchy";
}

// The processes running exactly `sleep ARG` among the test's own.
std::vector<pid_t> sleeping(const TestDaemon& d, const std::string& arg) {
  std::vector<pid_t> out;
  for (pid_t p : tagged_pids(d.tag()))
    if (read_file("/proc/" + std::to_string(p) + "/cmdline") == std::string("sleep\0", 6) + arg + std::string(1, '\0'))
      out.push_back(p);
  return out;
}

std::string umask_of(pid_t pid) {
  for (const auto& line : split_lines(read_file("/proc/" + std::to_string(pid) + "/status")))
    if (line.rfind("Umask:", 0) == 0) return split_words(line.substr(6)).at(0);
  return {};
}

}  // namespace

TEST_CASE("env files reach the job under its environment and are read again at each start", "[integration][isolation]") {
  DaemonOptions later;
  later.start = false;
  TestDaemon d(R"(
[jobs.show]
command = ["sh", "-c", "echo token=$TOKEN mode=$MODE quoted=\"$QUOTED\"; exec sleep 1000"]
env_file = ["@DIR@/app.env", "-@DIR@/maybe.env"]
environment = { MODE = "from-config" }
autostart = false
)", later);
  write_file(d.dir() / "app.env", "# secrets\nexport TOKEN=abc\nMODE=from-file\nQUOTED=\"a b\"\n");
  d.start();
  REQUIRE(d.ctl({"start", "show"}).exit_code == kOk);
  REQUIRE(eventually([&] { return d.read_log("show").find("token=abc mode=from-config quoted=a b\n") != std::string::npos; }));
  // A change to the file applies at the next start, with no reload.
  write_file(d.dir() / "app.env", "TOKEN=rotated\n");
  REQUIRE(d.ctl({"restart", "show"}).exit_code == kOk);
  REQUIRE(eventually([&] { return d.read_log("show").find("token=rotated mode=from-config") != std::string::npos; }));
  // Gone at the next start: the start fails and says which file.
  fs::remove(d.dir() / "app.env");
  const auto r = d.ctl({"restart", "show"});
  CHECK(r.exit_code == kRefused);
  CHECK(r.err.find("app.env: no such file") != std::string::npos);
  d.finish();
}

TEST_CASE("user runs the job as that user with its HOME USER LOGNAME SHELL and groups", "[integration][isolation]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root");
    return;
  }
  TestDaemon d(R"(
[jobs.www]
command = ["sh", "-c", "echo id=$(id -un):$(id -gn) groups=$(id -G) home=$HOME user=$USER logname=$LOGNAME shell=$SHELL; exec sleep 1000"]
user = "nobody"
group = "nogroup"
directory = "/"
umask = "0027"
limits = { nofile = 4096, nproc = 512, core = "unlimited" }
)");
  const pid_t pid = d.wait_running("www");
  REQUIRE(pid > 0);
  REQUIRE(eventually([&] { return d.read_log("www").find("id=") != std::string::npos; }));
  const auto out = d.read_log("www");
  INFO(out);
  CHECK(out.find("id=nobody:nogroup") != std::string::npos);
  CHECK(out.find("home=/nonexistent user=nobody logname=nobody shell=/usr/sbin/nologin") != std::string::npos);
  CHECK(out.find("groups=65534 home") != std::string::npos);  // no supplementary group of root's
  CHECK(umask_of(pid) == "0027");

  // inspect shows what /proc says: the limits and the umask.
  const auto text = d.ctl({"inspect", "www"});
  REQUIRE(text.exit_code == kOk);
  CHECK(text.out.find("umask:    0027") != std::string::npos);
  CHECK(text.out.find("nofile 4096/4096, nproc 512/512, core unlimited/unlimited") != std::string::npos);
  const auto j = json::parse(d.ctl({"inspect", "www", "--json"}).out);
  CHECK(j["umask"] == "0027");
  CHECK(j["limits"]["nofile"]["soft"] == 4096);
  CHECK(j["limits"]["core"]["soft"] == "unlimited");
  d.finish();
}

TEST_CASE("instances: NAME@i in status, NAME restarts them all, NAME@2 one, reload 4 to 2", "[integration][isolation]") {
  const std::string four = R"(
[jobs.web]
command = ["sh", "-c", "echo slot %i; exec sleep 100%i"]
instances = 4
start_secs = 0
)";
  TestDaemon d(four);
  std::map<std::string, pid_t> pids;
  for (int i = 0; i < 4; ++i) {
    const auto name = "web@" + std::to_string(i);
    pids[name] = d.wait_running(name);
    REQUIRE(pids[name] > 0);
    CHECK(eventually([&] { return d.read_log(name) == "slot " + std::to_string(i) + "\n"; }));
  }
  CHECK(sleeping(d, "1002").size() == 1);

  const auto sig = d.ctl({"signal", "web@2", "USR1"});
  CHECK(sig.exit_code == kOk);
  CHECK(sig.out == "web@2: sent USR1 to pid " + std::to_string(pids["web@2"]) + "\n");
  CHECK(d.wait_new_pid("web@2", pids["web@2"]) > 0);  // USR1 ended it; the others did not move
  for (const char* other : {"web@0", "web@1", "web@3"}) CHECK(d.job_pid(other) == pids[other]);
  pids["web@2"] = d.job_pid("web@2");

  REQUIRE(d.ctl({"restart", "web"}).exit_code == kOk);
  for (const auto& [name, pid] : pids) {
    INFO(name);
    CHECK(d.job_pid(name) != pid);
    CHECK(d.state(name) == "running");
  }
  for (const auto& [name, pid] : pids) pids[name] = d.job_pid(name);
  const auto one = d.ctl({"pid", "web"});
  CHECK(one.exit_code == kRefused);
  CHECK(one.err.find("'web' names 4 jobs") != std::string::npos);

  write_file(d.config_path(), four.substr(0, four.find("instances = 4")) + "instances = 2\nstart_secs = 0\n");
  const auto reload = d.ctl({"reload"});
  INFO(reload.out << reload.err);
  REQUIRE(reload.exit_code == kOk);
  REQUIRE(eventually([&] { return !d.job("web@2") && !d.job("web@3"); }));
  CHECK(d.job_pid("web@0") == pids["web@0"]);
  CHECK(d.job_pid("web@1") == pids["web@1"]);
  CHECK(sleeping(d, "1002").empty());
  CHECK(sleeping(d, "1003").empty());
  d.finish();
}

TEST_CASE("a job's own cgroup: a setsid escapee is stopped and inspect lists it", "[integration][isolation][cgroup]") {
  if (const auto why = no_cgroups()) {
    WARN("skipped: " << *why);
    return;
  }
  TestDaemon d(R"(
[jobs.daemonizes]
command = ["sh", "-c", "setsid sleep 4711 & exec sleep 4712"]
stop_timeout = "30s"
)");
  const pid_t pid = d.wait_running("daemonizes");
  REQUIRE(pid > 0);
  REQUIRE(eventually([&] { return sleeping(d, "4711").size() == 1; }));
  const pid_t escapee = sleeping(d, "4711").front();
  CHECK(::getpgid(escapee) != pid);  // out of the job's process group: the group alone would miss it
  CHECK(read_file("/proc/" + std::to_string(pid) + "/cgroup").find("/daemonizes.job\n") != std::string::npos);

  const auto j = json::parse(d.ctl({"inspect", "daemonizes", "--json"}).out);
  INFO(j.dump());
  CHECK(j["cgroup"].get<std::string>().ends_with("/daemonizes.job"));
  std::set<pid_t> in_cgroup;
  for (const auto& m : j["cgroup_processes"]) in_cgroup.insert(m["pid"].get<pid_t>());
  CHECK(in_cgroup == std::set<pid_t>{pid, escapee});
  CHECK(d.ctl({"inspect", "daemonizes"}).out.find("in cgroup:" + std::to_string(escapee) + " sleep 4711") !=
        std::string::npos);

  // The stop signal reaches it through the cgroup, so the stop ends well before stop_timeout's SIGKILL.
  const auto stop = d.ctl({"stop", "daemonizes"});
  CHECK(stop.exit_code == kOk);
  CHECK(d.state("daemonizes") == "stopped");
  CHECK(eventually([&] { return sleeping(d, "4711").empty(); }));
  d.finish();
}

TEST_CASE("after kill -9 of supd what a job left in its cgroup is found by cgroup", "[integration][isolation][cgroup]") {
  if (const auto why = no_cgroups()) {
    WARN("skipped: " << *why);
    return;
  }
  TestDaemon d(R"(
[jobs.daemonizes]
command = ["sh", "-c", "setsid sleep 4721 & exec sleep 4722"]
start_secs = 0
)");
  const pid_t pid = d.wait_running("daemonizes");
  REQUIRE(pid > 0);
  REQUIRE(eventually([&] { return sleeping(d, "4721").size() == 1; }));
  const pid_t escapee = sleeping(d, "4721").front();
  d.kill_daemon(SIGKILL);
  REQUIRE(d.wait_daemon_exit(10s));
  // While no supd watches, the recorded process ends; what it started lives on in the cgroup.
  ::kill(pid, SIGKILL);
  REQUIRE(eventually([&] { return !process_alive(pid); }));
  CHECK(process_alive(escapee));
  d.start();
  CHECK(eventually([&] { return !process_alive(escapee); }));
  CHECK(d.wait_running("daemonizes") > 0);
  CHECK(eventually([&] { return sleeping(d, "4721").size() == 1; }));  // the new run's own
  CHECK(d.supd_output().find("killed 1 process(es) left in its cgroup") != std::string::npos);
  CHECK(d.ctl({"stop", "daemonizes"}).exit_code == kOk);  // its new escapee too, before the harness counts strays
  CHECK(sleeping(d, "4721").empty());
  d.finish();
}

TEST_CASE("bad isolation settings are config errors with file:line:col", "[integration][isolation]") {
  DaemonOptions later;
  later.start = false;
  TestDaemon d("", later);
  write_file(d.dir() / "bad.env", "GOOD=1\nthis is not a variable\n");
  write_file(d.dir() / "bad.toml", d.expand(R"([jobs.a]
command = "sleep 1"
user = "no-such-user-supd"
limits = { nofile = 1099511627776, as = "lots" }
[jobs.b]
command = "./b --port=80%i"
[jobs.c]
command = "./c"
instances = 0
[jobs.d]
command = "./d"
env_file = "@DIR@/bad.env"
)"));
  const auto r = d.run_supd({"--check", "--config", (d.dir() / "bad.toml").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("bad.toml:3:8: user: no user named \"no-such-user-supd\" on this machine") != std::string::npos);
  CHECK(r.err.find("bad.toml:4:21: limits.nofile: 1099511627776 is above") != std::string::npos);
  CHECK(r.err.find("bad.toml:4:41: limits.as: cannot read \"lots\"") != std::string::npos);
  CHECK(r.err.find("bad.toml:6:11: command: %i is the instance number, but job \"b\" has no instances") != std::string::npos);
  CHECK(r.err.find("bad.toml:9:13: instances: must be at least 1, got 0") != std::string::npos);
  CHECK(r.err.find("bad.toml:12:12: env_file: " + (d.dir() / "bad.env").string() +
                   ":2: expected KEY=VALUE, got 'this is not a variable'") != std::string::npos);
}

TEST_CASE("a supd that is not root refuses a job for another user at --check and says why", "[integration][isolation]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root to run supd --check as another user");
    return;
  }
  TempDir dir("supd-user-check-");
  fs::permissions(dir.path(), fs::perms(0755));
  write_file(dir.path() / "supd.toml", "[jobs.a]\ncommand = \"sleep 1\"\nuser = \"root\"\n", fs::perms(0644));
  const auto r = run_process({"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", SUPD_BIN, "--check",
                              "--config", (dir.path() / "supd.toml").string()},
                             {"PATH=/usr/bin:/bin", "HOME=/"}, 30s);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("supd.toml:3:8: user: supd runs as \"nobody\", not root, so it cannot run a job as user \"root\"") !=
        std::string::npos);
}
