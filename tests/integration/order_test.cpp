// Dependencies, one-shot and scheduled jobs and health checks with real programs (issue 18):
// python's http.server as the healthy dependency, a python server that keeps its port but
// never answers as the hung one, a oneshot that writes a file, an `every = "1s"` job.
#include <unistd.h>

#include "tests/support/harness.hpp"
#include "tests/support/ports.hpp"

using namespace supd::test;

namespace {

std::string http_server(int port) {
  return R"(["python3", "-m", "http.server", ")" + std::to_string(port) + R"(", "--bind", "127.0.0.1"])";
}

// Listens and accepts into its backlog, and never answers: a hung service.
std::string hung_server(int port) {
  return R"(["python3", "-c", "import socket, time\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', )" +
         std::to_string(port) + R"())\ns.listen(16)\nprint('listening', flush=True)\ntime.sleep(100000)\n"])";
}

// The seq of the first event of `job` whose text has `needle`; 0 when there is none.
long long event_seq(TestDaemon& d, const std::string& job, const std::string& needle) {
  const auto r = d.ctl({"events", job, "--json", "-n", "1000"});
  for (const auto& line : split_lines(r.out)) {
    const auto e = json::parse(line, nullptr, false);
    if (e.is_discarded()) continue;
    if (e.dump().find(needle) != std::string::npos) return e.value("seq", 0LL);
  }
  return 0;
}

}  // namespace

TEST_CASE("a web app waits for a healthy database and a completed migration", "[integration][order]") {
  const int port = free_port();
  TestDaemon d(R"(
[jobs.db]
command = )" + http_server(port) + R"(
ready = "listen"
autostart = false
[jobs.db.health]
tcp = "127.0.0.1:)" + std::to_string(port) + R"("
interval = "1s"

[jobs.migrate]
command = ["sh", "-c", "while [ ! -f @DIR@/go ]; do sleep 0.05; done; touch @DIR@/migrated"]
type = "oneshot"
autostart = false

[jobs.web]
command = ["sleep", "100000"]
autostart = false
depends_on = { db = "healthy", migrate = "completed" }
)");
  SpawnOptions opts;
  opts.env = d.env();
  opts.stdout_file = (d.dir() / "start.out").string();
  const pid_t start = spawn_process({SUPCTL_BIN, "--socket", d.socket().string(), "start", "web"}, opts);
  // Meanwhile web waits, and says for what.
  REQUIRE(eventually([&] {
    const auto web = d.job("web");
    return web && (*web)["state"] == "waiting" && web->value("reason", "") == "waiting for migrate to complete";
  }));
  CHECK(d.state("db") == "running");
  CHECK(d.job("db")->value("health", "") == "healthy");
  CHECK(contains(d.ctl({"status"}).out, "WAITING"));
  const auto graph = d.ctl({"graph", "web"});
  INFO(graph.out);
  CHECK(graph.exit_code == kOk);
  CHECK(contains(graph.out, "healthy yes: db (running, healthy)"));
  CHECK(contains(graph.out, "completed not yet: migrate ("));
  write_file(d.dir() / "go", "");
  const auto status = wait_exit(start, 30s);
  REQUIRE(status);
  INFO(read_file(d.dir() / "start.out"));
  CHECK(exit_code_of(*status) == kOk);
  CHECK(fs::exists(d.dir() / "migrated"));
  CHECK(d.wait_state("web", "running"));
  CHECK(d.state("migrate") == "exited");
  // The order, as the events tell it: db healthy and migrate done before web was spawned.
  const auto web_spawned = event_seq(d, "web", "\"kind\":\"spawn\"");
  CHECK(web_spawned > event_seq(d, "db", "healthy"));
  CHECK(web_spawned > event_seq(d, "migrate", "exited 0"));

  // Stopping db stops web first, and answers once db is stopped.
  const auto stop = d.ctl({"stop", "db"});
  CHECK(stop.exit_code == kOk);
  CHECK(contains(stop.out, "db: STOPPED"));
  CHECK(d.state("web") == "stopped");
  CHECK(d.state("db") == "stopped");
  CHECK(event_seq(d, "web", "\"to\":\"stopped\"") < event_seq(d, "db", "\"to\":\"stopping\""));
  d.finish();
}

TEST_CASE("a hung service fails its http check and is restarted" " and why says so", "[integration][order][health]") {
  const int port = free_port();
  TestDaemon d(R"(
[jobs.api]
command = )" + hung_server(port) + R"(
restart = "always"
ready = "listen"
[jobs.api.health]
http = "http://127.0.0.1:)" + std::to_string(port) + R"(/"
interval = "300ms"
timeout = "300ms"
retries = 2
)");
  // ready = "listen": checks begin once the port is bound, so under load they time out (the
  // hang) rather than find nothing listening yet.
  const pid_t first = d.wait_running("api");
  REQUIRE(first > 0);
  const pid_t second = d.wait_new_pid("api", first, 30s);
  REQUIRE(second > 0);
  const auto events = d.ctl({"events", "api"});
  CHECK(contains(events.out, "unhealthy after 2 failed checks"));
  const auto why = d.ctl({"why", "api"});
  INFO(why.out);
  CHECK(contains(why.out, "unhealthy"));
  CHECK(contains(why.out, "timed out"));
  d.finish();
}

TEST_CASE("ready = listen: a dependent waits for a real listener", "[integration][order][listen]") {
  const int port = free_port();
  TestDaemon d(R"(
[jobs.srv]
command = ["sh", "-c", "while [ ! -f @DIR@/go ]; do sleep 0.05; done; exec python3 -m http.server )" +
               std::to_string(port) + R"( --bind 127.0.0.1"]
ready = "listen"
start_secs = "100ms"
[jobs.client]
command = ["sleep", "100000"]
depends_on = ["srv"]
)");
  REQUIRE(eventually([&] { return d.state("client") == "waiting"; }));
  CHECK(d.state("srv") == "starting");  // start_secs long passed: it waits for a listener
  write_file(d.dir() / "go", "");
  CHECK(d.wait_running("client") > 0);
  CHECK(d.state("srv") == "running");
  d.finish();
}

TEST_CASE("every: a job runs on its interval and status gives next_run", "[integration][order][schedule]") {
  TestDaemon d(R"(
[jobs.tick]
command = ["sh", "-c", "echo tick >> @DIR@/ticks"]
every = "1s"
)");
  CHECK(d.state("tick") == "stopped");  // not at supd's start: at its times
  REQUIRE(d.job("tick"));
  CHECK(d.job("tick")->contains("next_run"));
  REQUIRE(eventually([&] { return split_lines(read_file(d.dir() / "ticks")).size() >= 3; }, 30s));
  d.finish();
}

TEST_CASE("supd --check names a dependency cycle at its place", "[integration][order]") {
  TestDaemon d("[jobs.a]\ncommand = \"sleep 1000\"\n");
  write_file(d.dir() / "bad.toml",
             "[jobs.a]\ncommand = \"a\"\ndepends_on = [\"b\"]\n[jobs.b]\ncommand = \"b\"\ndepends_on = [\"a\"]\n");
  const auto r = d.run_supd({"--check", "--config", (d.dir() / "bad.toml").string()});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "bad.toml:6:15: depends_on: a cycle: a -> b -> a"));
  d.finish();
}

TEST_CASE("a start waiting on a dependency that went fatal answers at once and why says so", "[integration][order]") {
  TestDaemon d(R"(
[jobs.db]
command = ["sh", "-c", "exit 3"]
start_retries = 0
autostart = false
[jobs.web]
command = ["sleep", "100000"]
depends_on = ["db"]
autostart = false
)");
  const auto start = d.ctl({"start", "web"});
  CHECK(start.exit_code == 1);
  CHECK(contains(start.err, "web: db is fatal"));
  CHECK(d.state("web") == "waiting");
  CHECK(d.state("db") == "fatal");
  const auto why = d.ctl({"why", "web"});
  INFO(why.out);
  CHECK(contains(why.out, "db is fatal"));
  // The tree says what does not hold.
  CHECK(contains(d.ctl({"graph"}).out, "running not yet: db (fatal)"));
  d.finish();
}
