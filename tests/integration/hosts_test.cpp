// `supctl --host` (DESIGN.md, "Several machines"): a real sshd on a loopback port, two
// "machines" that are two supds reached through it, a host that is down, one whose key is
// refused, and `supctl bridge` at the far end of every connection.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/support/harness.hpp"
#include "tests/support/ssh_server.hpp"

using namespace supd::test;

// Catch2 2.13 has no SKIP: without sshd (or root) a test says why and passes.
#define SKIP_WITHOUT_SSH()                                \
  if (const auto why = SshServer::unavailable()) {        \
    WARN("skipped: " << *why);                            \
    return;                                               \
  }

namespace {

constexpr std::string_view kTicker = R"(
[jobs.api]
command = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"]
[jobs.idle]
command = "sleep 1000"
autostart = false
)";

// supctl with the ssh settings of `ssh`, in `d`'s environment, without --socket: the host's
// own supd is the one its bridge finds.
CtlResult remote(const TestDaemon& d, const SshServer& ssh, const std::vector<std::string>& args,
                 const std::vector<std::string>& extra_env = {}) {
  auto env = extra_env;  // first: getenv takes the first of a name
  for (const auto& kv : ssh.client_env()) env.push_back(kv);
  for (const auto& kv : d.env()) env.push_back(kv);
  std::vector<std::string> argv{SUPCTL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, env, 60s);
}

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("supctl --host HOST prints what supctl prints on that host", "[integration][hosts]") {
  SKIP_WITHOUT_SSH();
  SshServer ssh;
  TestDaemon d(kTicker);
  ssh.add_host("web1", d.socket());
  REQUIRE(d.wait_running("api") > 0);

  const auto here = d.ctl({"status", "idle"});
  const auto there = remote(d, ssh, {"--host", "web1", "status", "idle"});
  CHECK(there.exit_code == kOk);
  CHECK(there.out == here.out);
  const auto json = remote(d, ssh, {"-H", "web1", "--json", "status", "idle"});
  CHECK(json.exit_code == kOk);
  CHECK(json.out == d.ctl({"--json", "status", "idle"}).out);

  // The remote supd's own refusal, prefixed with the host.
  const auto unknown = remote(d, ssh, {"--host", "web1", "stop", "nosuch"});
  CHECK(unknown.exit_code == kRefused);
  CHECK(is_one_line(unknown.err));
  CHECK(unknown.err.starts_with("supctl: web1: "));
  CHECK(unknown.err.find("nosuch") != std::string::npos);

  // SUPCTL_HOST stands for --host.
  const auto from_env = remote(d, ssh, {"status", "idle"}, {"SUPCTL_HOST=web1"});
  CHECK(from_env.out == here.out);
  d.finish();
}

TEST_CASE("several hosts: one table with HOST first and a host that is down named with exit 3", "[integration][hosts]") {
  SKIP_WITHOUT_SSH();
  SshServer ssh;
  TestDaemon a(kTicker), b(kTicker);
  ssh.add_host("web1", a.socket());
  ssh.add_host("web2", b.socket());
  ssh.add_unreachable_host("db1");
  REQUIRE(a.wait_running("api") > 0);
  REQUIRE(b.wait_running("api") > 0);

  const auto all = remote(a, ssh, {"--host", "web1,web2", "--host", "db1", "status"});
  CHECK(all.exit_code == kUnreachable);
  CHECK(all.out.starts_with("HOST "));
  CHECK(count(all.out, "\nweb1 ") == 2);  // api and idle
  CHECK(count(all.out, "\nweb2 ") == 2);
  CHECK(all.out.find("db1") == std::string::npos);
  CHECK(is_one_line(all.err));
  CHECK(all.err.starts_with("supctl: db1: unreachable"));

  const auto json = remote(a, ssh, {"-H", "web1,db1,web2", "--json", "status", "api"});
  CHECK(json.exit_code == kUnreachable);
  const auto doc = nlohmann::json::parse(json.out, nullptr, false);
  REQUIRE(doc.is_object());
  REQUIRE(doc["hosts"].size() == 3);
  CHECK(doc["hosts"][0]["host"] == "web1");
  CHECK(doc["hosts"][0]["ok"] == true);
  CHECK(doc["hosts"][0]["result"]["jobs"][0]["name"] == "api");
  CHECK(doc["hosts"][1]["host"] == "db1");
  CHECK(doc["hosts"][1]["ok"] == false);
  CHECK(doc["hosts"][1]["error"]["code"] == "unreachable");
  CHECK(doc["hosts"][2]["result"]["jobs"][0]["state"] == "running");

  // stats across hosts: one table too.
  const auto stats = remote(a, ssh, {"-H", "web1,web2", "stats", "api"});
  CHECK(stats.exit_code == kOk);
  CHECK(stats.out.starts_with("HOST  NAME  STATE    PID"));
  CHECK(count(stats.out, "\nweb1  api ") == 1);
  CHECK(count(stats.out, "\nweb2  api ") == 1);

  // top across hosts: a section per host, the one down named in its place and on stderr.
  const auto top = remote(a, ssh, {"-H", "web1,db1,web2", "top", "--once"});
  INFO(top.out << top.err);
  CHECK(top.exit_code == kUnreachable);
  CHECK(top.out.find("[web1] supd " + std::to_string(a.pid()) + ", up ") == 0);
  CHECK(top.out.find("\n[db1] unreachable") != std::string::npos);
  CHECK(top.out.find("\n[web2] supd " + std::to_string(b.pid()) + ", up ") != std::string::npos);
  CHECK(count(top.out, "\napi ") == 2);
  CHECK(is_one_line(top.err));
  CHECK(top.err.starts_with("supctl: db1: unreachable"));

  // Commands that act: each host's lines under its name; the worst exit code.
  const pid_t a_pid = a.job_pid("api"), b_pid = b.job_pid("api");
  const auto restart = remote(a, ssh, {"-H", "web1,web2", "restart", "api"});
  CHECK(restart.exit_code == kOk);
  CHECK(restart.out.find("web1: api: RUNNING") != std::string::npos);
  CHECK(restart.out.find("web2: api: RUNNING") != std::string::npos);
  CHECK(a.job_pid("api") != a_pid);
  CHECK(b.job_pid("api") != b_pid);

  const auto signal = remote(a, ssh, {"-H", "web1,web2", "signal", "api", "HUP"});
  CHECK(signal.exit_code == kOk);
  CHECK(count(signal.out, "web1: ") == 1);
  CHECK(count(signal.out, "web2: ") == 1);

  const auto why = remote(a, ssh, {"-H", "web1,web2", "why", "api"});
  CHECK(why.exit_code == kOk);
  CHECK(why.out.find("==> web1 <==\n") == 0);
  CHECK(why.out.find("\n==> web2 <==\n") != std::string::npos);

  const auto dry = remote(a, ssh, {"-H", "web1,web2", "reload", "--dry-run"});
  CHECK(dry.exit_code == kOk);

  // doctor reads this machine: refused with the way to run it there.
  const auto doctor = remote(a, ssh, {"-H", "web1", "doctor"});
  CHECK(doctor.exit_code == kUsage);
  CHECK(doctor.err.find("ssh web1 supctl doctor") != std::string::npos);
  a.finish();
  b.finish();
}

TEST_CASE("logs -f across hosts: lines prefixed as they come and one supd killed ends only its stream",
          "[integration][hosts]") {
  SKIP_WITHOUT_SSH();
  SshServer ssh;
  TestDaemon a(kTicker), b(kTicker);
  ssh.add_host("web1", a.socket());
  ssh.add_host("web2", b.socket());
  REQUIRE(a.wait_running("api") > 0);
  REQUIRE(b.wait_running("api") > 0);

  auto env = a.env();
  for (const auto& kv : ssh.client_env()) env.push_back(kv);
  std::vector<std::string> clean;  // not tagged: the harness would count it as a stray of supd's
  for (const auto& kv : env)
    if (!kv.starts_with("SUPD_TEST_TAG=")) clean.push_back(kv);
  const auto out = a.dir() / "follow.out";
  const pid_t follower = spawn_process({SUPCTL_BIN, "-H", "web1,web2", "logs", "api", "-f", "-n", "1"},
                                       SpawnOptions{clean, out.string(), true, {}, {}, {}});
  REQUIRE(eventually([&] {
    const auto text = read_file(out);
    return text.find("web1: tick") != std::string::npos && text.find("web2: tick") != std::string::npos;
  }, 30s));

  b.kill_daemon(SIGKILL);
  REQUIRE(b.wait_daemon_exit(10s));
  REQUIRE(eventually([&] { return read_file(out).find("supctl: web2: ") != std::string::npos; }, 30s));
  // web1's lines still come after web2's stream ended.
  const auto ended_at = read_file(out).size();
  CHECK(eventually([&] { return read_file(out).find("web1: tick", ended_at) != std::string::npos; }, 30s));
  ::kill(follower, SIGTERM);
  CHECK(wait_exit(follower, 10s));
  b.kill_everything();
  a.finish();
}

TEST_CASE("remote failures name the host and the cause", "[integration][hosts]") {
  SKIP_WITHOUT_SSH();
  SshServer ssh;
  TestDaemon d(kTicker);
  ssh.add_host("web1", d.socket());
  ssh.add_host("nosupd", d.dir() / "no-such.sock");
  ssh.add_unknown_key_host("stranger", d.socket());

  const auto auth = remote(d, ssh, {"-H", "stranger", "status"});
  CHECK(auth.exit_code == kUnreachable);
  CHECK(is_one_line(auth.err));
  CHECK(auth.err.starts_with("supctl: stranger: authentication refused"));

  const auto missing = remote(d, ssh, {"-H", "web1", "status"}, {"SUPCTL_REMOTE=supctl-not-installed"});
  CHECK(missing.exit_code == kUnreachable);
  CHECK(is_one_line(missing.err));
  CHECK(missing.err.starts_with("supctl: web1: no supctl on the remote PATH"));

  const auto down = remote(d, ssh, {"-H", "nosupd", "status"});
  CHECK(down.exit_code == kUnreachable);
  CHECK(is_one_line(down.err));
  CHECK(down.err.starts_with("supctl: nosupd: cannot reach supd at "));
  CHECK(down.err.find("no-such.sock") != std::string::npos);
  d.finish();
}

TEST_CASE("supctl bridge relays NDJSON typed to it locally and over ssh", "[integration][hosts]") {
  TestDaemon d(kTicker);
  const std::string requests = R"({"id": 1, "method": "hello"}\n{"id": 2, "method": "pid", "params": {"job": "api"}}\n)";
  REQUIRE(d.wait_running("api") > 0);
  const auto local = run_process(
      {"/bin/sh", "-c", fmt::format("printf '{}' | {} --socket {} bridge", requests, SUPCTL_BIN, d.socket().string())},
      d.env());
  CHECK(local.exit_code == kOk);
  CHECK(local.out.find(R"("id":1,"ok":true)") != std::string::npos);
  CHECK(local.out.find(fmt::format(R"("pid":{})", d.job_pid("api"))) != std::string::npos);

  const auto nothing = d.ctl_bare({"--socket", (d.dir() / "none.sock").string(), "bridge"});
  CHECK(nothing.exit_code == kUnreachable);
  CHECK(is_one_line(nothing.err));

  if (const auto why = SshServer::unavailable()) {
    WARN("over ssh skipped: " << *why);
  } else {
    SshServer ssh;
    ssh.add_host("web1", d.socket());
    const auto over = run_process(
        {"/bin/sh", "-c", fmt::format("printf '{}' | {} web1 {} bridge", requests, ssh.ssh_command(), SUPCTL_BIN)}, d.env());
    CHECK(over.exit_code == kOk);
    CHECK(over.out.find(fmt::format(R"("pid":{})", d.job_pid("api"))) != std::string::npos);
  }
  d.finish();
}

TEST_CASE("export systemd writes a unit systemd-analyze accepts", "[integration][hosts]") {
  TestDaemon d(R"(
[jobs.api]
command = ["sh", "-c", "echo 50% of $HOME; exec sleep 1000"]
environment = { GREETING = "hello world" }
stop_signal = "INT"
stop_timeout = "3s"
restart = "always"
autostart = false
)");
  const auto r = d.ctl({"export", "systemd", "api"});
  REQUIRE(r.exit_code == kOk);
  // The program named absolutely (found on supd's PATH); '%' and '$' kept literal.
  CHECK(r.out.find("\nExecStart=/") != std::string::npos);
  CHECK(r.out.find("/sh -c \"echo 50%% of $$HOME; exec sleep 1000\"\n") != std::string::npos);
  CHECK(r.out.find("Environment=\"GREETING=hello world\"\n") != std::string::npos);
  CHECK(r.out.find("KillSignal=SIGINT\n") != std::string::npos);
  CHECK(r.out.find("TimeoutStopSec=3s\n") != std::string::npos);
  CHECK(r.out.find("Restart=always\n") != std::string::npos);
  CHECK(r.out.find(fmt::format("StandardOutput=append:{}/api.out\n", d.log_dir().string())) != std::string::npos);

  const auto bad = d.ctl({"export", "launchd", "api"});
  CHECK(bad.exit_code == kUsage);
  CHECK(is_one_line(bad.err));

  if (::access("/usr/bin/systemd-analyze", X_OK) != 0) {
    WARN("systemd-analyze verify skipped: no systemd-analyze");
  } else {
    const auto unit_dir = d.dir() / "units";
    fs::create_directories(unit_dir);
    write_file(unit_dir / "api.service", r.out);
    // --user needs a runtime dir to set up its manager; a private one will do.
    fs::create_directories(unit_dir / "runtime");
    fs::permissions(unit_dir / "runtime", fs::perms::owner_all, fs::perm_options::replace);
    const auto verify = run_process({"/usr/bin/systemd-analyze", "--user", "verify", (unit_dir / "api.service").string()},
                                    {"PATH=/usr/bin:/bin", "SYSTEMD_LOG_LEVEL=warning",
                                     "XDG_RUNTIME_DIR=" + (unit_dir / "runtime").string()});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
  }
  d.finish();
}
