// Resource limits (TESTPLAN R75, R76): supd out of fds, out of processes. The limits are put
// on the running supd with prlimit(2), so they hit its spawns and nothing of the test's.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "tests/support/harness.hpp"
#include "tests/support/temp_user.hpp"

using namespace supd::test;

namespace {

std::string many_jobs(int n, const std::string& defaults) {
  std::string config = "[defaults]\n" + defaults + "\n";
  for (int i = 1; i <= n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "j%03d", i);
    config += std::string("[jobs.") + name + "]\ncommand = [\"sleep\", \"1000\"]\n";
  }
  return config;
}

bool set_limit(pid_t pid, __rlimit_resource resource, rlim_t value) {
  rlimit lim{value, value};
  return ::prlimit(pid, resource, &lim, nullptr) == 0;
}

// Every job's row of `status --json`, by name.
std::map<std::string, json> rows(TestDaemon& d) {
  std::map<std::string, json> out;
  if (auto st = d.status_json())
    for (const auto& j : (*st)["jobs"]) out[j["name"].get<std::string>()] = j;
  return out;
}

std::size_t count_state(const std::map<std::string, json>& r, std::string_view state) {
  return static_cast<std::size_t>(
      std::count_if(r.begin(), r.end(), [&](const auto& kv) { return kv.second["state"] == state; }));
}

// Tasks (threads count: RLIMIT_NPROC counts them) whose real uid is `uid`.
int tasks_of_uid(uid_t uid) {
  int n = 0;
  for (pid_t pid : all_pids()) {
    const auto uids = status_field(pid, "Uid");
    if (!uids || split_words(*uids).empty() || split_words(*uids)[0] != std::to_string(uid)) continue;
    const auto threads = status_field(pid, "Threads");
    n += threads ? std::stoi(*threads) : 1;
  }
  return n;
}

}  // namespace

TEST_CASE("R75 supd out of fds: jobs fail with Too many open files, supd answers, nothing leaks",
          "[integration][limits][R75]") {
  // 100 jobs, started only once supd runs under the limit. Retried quickly and for long, so
  // the failures stay visible and the retries can be watched.
  TestDaemon d(many_jobs(100, "autostart = false\nstart_secs = 0\nstart_retries = 1000\n"
                              "backoff_initial = \"200ms\"\nbackoff_max = \"1s\"\n"));
  // Idle with the fd holder connected: it is started with the first job's pipe and stays.
  // Idle means j100's pipe closed at its EOF and supctl's connections at theirs: both come a
  // moment after `stop` answers. supctl connections are left out of every count below.
  REQUIRE(d.ctl({"start", "j100"}).exit_code == kOk);
  const pid_t j100 = d.job_pid("j100");
  REQUIRE(j100 > 0);
  const std::string j100_pipe = list_fds(j100)[1];  // supd holds the other end of its stdout
  REQUIRE(j100_pipe.rfind("pipe:", 0) == 0);
  REQUIRE(d.ctl({"stop", "j100"}).exit_code == kOk);
  REQUIRE(eventually([&] {
    const auto fds = list_fds(d.pid());
    return std::none_of(fds.begin(), fds.end(), [&](const auto& fd) { return fd.second == j100_pipe; });
  }));
  REQUIRE(eventually([&] { return fd_census(d.pid()).connections == 0; }));
  const std::size_t fds_idle = fd_census(d.pid()).others;
  REQUIRE(set_limit(d.pid(), RLIMIT_NOFILE, 128));

  const auto started = d.ctl({"start", "--no-wait", "all"});
  INFO(started.out << started.err);
  // Some jobs run, the others wait for fds and say why.
  std::map<std::string, json> r;
  CHECK(eventually([&] {
    r = rows(d);
    std::size_t running = count_state(r, "running"), failing = 0;
    for (const auto& [name, j] : r)
      if (j["state"] != "running" && j["error"].is_string() &&
          contains(j["error"].get<std::string>(), "Too many open files"))
        ++failing;
    return r.size() == 100 && running > 0 && running + failing == 100;
  }, 30s));
  const std::size_t running = count_state(r, "running");
  INFO("running under the limit: " << running << ", supd fds idle: " << fds_idle);
  CHECK(running < 100);
  CHECK(count_state(r, "fatal") == 0);  // EMFILE may pass: retried, never fatal at once

  // supd answers through it all, and says so in the events too.
  std::string failed_job;
  for (const auto& [name, j] : r)
    if (j["state"] != "running") failed_job = name;
  REQUIRE_FALSE(failed_job.empty());
  CHECK(d.ctl({"status"}).exit_code == kOk);
  const auto ev = d.ctl({"events", failed_job});
  INFO(ev.out << ev.err);
  CHECK(ev.exit_code == kOk);
  CHECK(contains(ev.out, "Too many open files"));
  CHECK(d.supd_fd_count() <= 128);

  // Stopping everything gives back every fd the jobs and the failed spawns held.
  const auto stopped = d.ctl({"stop", "all"});
  INFO(stopped.out << stopped.err);
  CHECK(stopped.exit_code == kOk);
  CHECK(eventually([&] { return fd_census(d.pid()).others == fds_idle; }));
  CHECK(fd_census(d.pid()).others == fds_idle);

  // The jobs that could not start before come up now, nearly as many as ran before (a spawn
  // needs a few fds more than the job keeps: the status pipe, /dev/null, the write ends).
  std::vector<std::string> retry{"start"};
  for (const auto& [name, j] : r)
    if (j["state"] != "running" && retry.size() + 2 <= running) retry.push_back(name);
  const auto again = d.ctl(retry);
  INFO(again.out << again.err);
  CHECK(again.exit_code == kOk);
  for (std::size_t i = 1; i < retry.size(); ++i) CHECK(d.state(retry[i]) == "running");
  d.finish();
}

TEST_CASE("R76 fork failing with EAGAIN under RLIMIT_NPROC backs off and supd stays fine",
          "[integration][limits][R76]") {
  if (!is_root()) {
    WARN("SKIP: needs root to run supd as an ordinary uid (root ignores RLIMIT_NPROC)");
    return;
  }
  // A uid nothing else on the machine uses, so its process count is supd's own.
  const uid_t uid = 50000 + static_cast<uid_t>(::getpid() % 10000);
  DaemonOptions opts;
  opts.start = false;
  const auto id = std::to_string(uid);
  // Room for supd, its fd holder (forked with the first job's pipe) and exactly two jobs. Set
  // before supd starts: changing another process's limits needs CAP_SYS_RESOURCE, which a
  // container's root may lack.
  opts.wrapper = {"/usr/bin/prlimit", "--nproc=4:4", "/usr/bin/setpriv", "--reuid=" + id, "--regid=" + id,
                  "--clear-groups", "--"};
  // supctl as that uid too (it trusts no other server but root's), by its effective uid only:
  // the real uid is what RLIMIT_NPROC counts, and supctl must not take one of supd's four.
  // A process whose euid is not its uid is not dumpable, and the sanitizer build's leak check at
  // supctl's exit must ptrace it (and, exec'd in secure mode, reads no ASAN_OPTIONS to be told
  // otherwise): CAP_SYS_PTRACE, alone and as an ambient capability, lets it.
  opts.ctl_wrapper = {"/usr/bin/setpriv", "--euid=" + id, "--egid=" + id, "--clear-groups",
                      "--securebits", "+noroot,+no_setuid_fixup", "--inh-caps", "+sys_ptrace",
                      "--ambient-caps", "+sys_ptrace", "--"};
  TestDaemon d(many_jobs(5, "autostart = false\nstart_secs = 0\nstart_retries = 1000\n"
                            "backoff_initial = \"200ms\"\nbackoff_max = \"1s\"\n"),
               opts);
  for (const auto& e : fs::recursive_directory_iterator(d.dir())) REQUIRE(::lchown(e.path().c_str(), uid, uid) == 0);
  REQUIRE(::lchown(d.dir().c_str(), uid, uid) == 0);
  d.start();
  REQUIRE(status_field(d.pid(), "Uid").value_or("").starts_with(id));

  REQUIRE(tasks_of_uid(uid) == 1);  // supd, single-threaded
  const auto started = d.ctl({"start", "--no-wait", "j001", "j002", "j003", "j004", "j005"});
  INFO(started.out << started.err);
  std::map<std::string, json> r;
  CHECK(eventually([&] {
    r = rows(d);
    std::size_t failing = 0;
    for (const auto& [name, j] : r)
      if (j["state"] != "running" && j["error"].is_string() &&
          contains(j["error"].get<std::string>(), "Resource temporarily unavailable"))
        ++failing;
    return count_state(r, "running") == 2 && failing == 3;
  }, 20s));
  INFO(json(r).dump());
  CHECK(count_state(r, "fatal") == 0);  // backs off, never fatal at once
  CHECK(d.ctl({"status"}).exit_code == kOk);

  // One process fewer: a backing-off job takes its place on its own.
  std::string victim;
  for (const auto& [name, j] : r)
    if (j["state"] == "running") victim = name;
  REQUIRE(d.ctl({"stop", victim}).exit_code == kOk);
  CHECK(eventually([&] {
    const auto now = rows(d);
    return count_state(now, "running") == 2 && now.at(victim)["state"] == "stopped";
  }, 20s));
  d.finish();
}
