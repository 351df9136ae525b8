// supctl top's screen as a pure function of its model: no terminal, no supd.
#include <catch2/catch.hpp>

#include "ctl/top_view.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::ctl;
namespace proto = supd::protocol;

namespace {

TopJob job(const std::string& name, const std::string& state, std::optional<int> pid = std::nullopt,
           std::optional<std::string> last_line = std::nullopt) {
  TopJob j;
  j.status.name = name;
  j.status.state = state;
  j.status.pid = pid;
  if (pid) j.status.uptime_s = 65;
  proto::JobStats s;
  s.name = name;
  s.state = state;
  s.pid = pid;
  if (pid) {
    s.cpu_pct = 12.5;
    s.rss_bytes = 3 * 1024 * 1024;
    s.processes = 1;
  }
  s.last_line = last_line;
  j.stats = s;
  return j;
}

TopModel model_of(std::vector<TopJob> jobs, std::string host = "") {
  TopModel m;
  TopSection s;
  s.host = std::move(host);
  s.supd = proto::SupdStats{4242, 3725};
  s.jobs = std::move(jobs);
  m.sections.push_back(std::move(s));
  return m;
}

using supd::test_unit::has;

}  // namespace

TEST_CASE("top: the header names supd's pid, its uptime and the jobs by state", "[top]") {
  const auto m = model_of({job("api", "running", 100), job("db", "running", 101), job("cron", "fatal")});
  const auto screen = render_top(m, 120, 20);
  REQUIRE(screen.lines.size() == 20);
  CHECK(screen.lines[0] == "supd 4242, up 1h02m; 3 jobs: 2 running, 1 fatal");
  CHECK(has(screen.lines[1], "NAME"));
  CHECK(has(screen.lines[1], "CPU%"));
  CHECK(has(screen.lines[1], "LAST LINE"));
}

TEST_CASE("top: a row per job with state, pid, CPU%, RSS, uptime, restarts, health and last line", "[top]") {
  auto api = job("api", "running", 100, "GET /health 200");
  api.status.restarts = 3;
  api.status.health = "healthy";
  const auto screen = render_top(model_of({api, job("idle", "stopped")}), 200, 10);
  const auto& row = screen.lines[2];
  CHECK(has(row, "api"));
  CHECK(has(row, "RUNNING"));
  CHECK(has(row, "100"));
  CHECK(has(row, "12.5"));
  CHECK(has(row, "3.0 MiB"));
  CHECK(has(row, "1m05s"));
  CHECK(has(row, "healthy"));
  CHECK(has(row, "GET /health 200"));
  CHECK(has(screen.lines[3], "idle"));
  CHECK(has(screen.lines[3], "STOPPED"));
}

TEST_CASE("top: the selected row is highlighted and kept on screen", "[top]") {
  std::vector<TopJob> jobs;
  for (int i = 0; i < 50; ++i) jobs.push_back(job("j" + std::to_string(i), "running", 1000 + i));
  auto m = model_of(jobs);
  m.selected = 0;
  auto screen = render_top(m, 80, 10);
  REQUIRE(screen.highlight);
  CHECK(has(screen.lines[*screen.highlight], "j0 "));
  m.selected = 40;
  screen = render_top(m, 80, 10);
  REQUIRE(screen.highlight);
  CHECK(*screen.highlight < 8);  // above the message and help lines
  CHECK(has(screen.lines[*screen.highlight], "j40 "));
  m.selected = 500;  // past the end: the last job
  screen = render_top(m, 80, 10);
  REQUIRE(screen.highlight);
  CHECK(has(screen.lines[*screen.highlight], "j49 "));
}

TEST_CASE("top: the filter keeps the jobs whose name holds it and says so", "[top]") {
  auto m = model_of({job("api", "running", 1), job("worker-1", "running", 2), job("worker-2", "stopped")});
  m.filter = "work";
  const auto screen = render_top(m, 100, 12);
  std::string all;
  for (const auto& l : screen.lines) all += l + "\n";
  CHECK_FALSE(has(all, "api "));
  CHECK(has(all, "worker-1"));
  CHECK(has(all, "worker-2"));
  CHECK(screen.lines[10] == "filter: work");
  CHECK(visible_jobs(m).size() == 2);
  REQUIRE(selected_job(m));
  CHECK(m.sections[0].jobs[selected_job(m)->job].status.name == "worker-1");
}

TEST_CASE("top: the foot is the message, then the help line with every key", "[top]") {
  auto m = model_of({job("api", "running", 1)});
  m.message = "api: STOPPING";
  const auto screen = render_top(m, 200, 8);
  CHECK(screen.lines[6] == "api: STOPPING");
  CHECK(screen.lines[7] == top_help_line());
  for (const auto* key : {"arrows", "s start", "S stop", "r restart", "k signal", "l log", "e events", "/ filter", "q quit"})
    CHECK(has(top_help_line(), key));
}

TEST_CASE("top: no line is wider than the terminal, characters counted once", "[top]") {
  auto m = model_of({job("api", "running", 1, "h\xc3\xa9llo w\xc3\xb6rld, a long line of output that goes on and on")});
  const auto screen = render_top(m, 40, 6);
  for (const auto& line : screen.lines) {
    std::size_t columns = 0;
    for (const char c : line) columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    CHECK(columns <= 40);
  }
  CHECK(fit_columns("h\xc3\xa9llo", 2) == "h\xc3\xa9");
  CHECK(fit_columns("a\x1b[31mb", 80).find('\x1b') == std::string::npos);  // no escapes reach the screen
}

TEST_CASE("top: a log pane shows its title and the last lines that fit", "[top]") {
  auto m = model_of({job("api", "running", 1)});
  m.pane = TopPane::Log;
  m.pane_title = "api: its output";
  for (int i = 1; i <= 30; ++i) m.pane_lines.push_back("line " + std::to_string(i));
  const auto screen = render_top(m, 80, 10);
  CHECK(has(screen.lines[0], "api: its output"));
  CHECK(has(screen.lines[0], "q: back"));
  CHECK(screen.lines[7] == "line 30");
  CHECK(screen.lines[1] == "line 24");
  CHECK_FALSE(screen.highlight);
}

TEST_CASE("top: several hosts each get a section, and one that failed says why", "[top]") {
  TopModel m = model_of({job("api", "running", 1)}, "web1");
  TopSection down;
  down.host = "web2";
  down.error = "unreachable (ssh: connect to host web2 port 22: Connection refused)";
  m.sections.push_back(down);
  TopSection db;
  db.host = "db1";
  db.jobs = {job("pg", "running", 7)};
  m.sections.push_back(db);
  const auto text = render_top_snapshot(m);
  CHECK(has(text, "[web1] supd 4242, up 1h02m; 1 job: 1 running\n"));
  CHECK(has(text, "[web2] unreachable (ssh: connect to host web2 port 22: Connection refused)\n"));
  CHECK(has(text, "[db1] 1 job: 1 running\n"));
  CHECK(text.find("api") < text.find("[web2]"));
  CHECK(text.find("pg") > text.find("[db1]"));
  m.selected = 1;  // the second visible job is on the third host
  REQUIRE(selected_job(m));
  CHECK(selected_job(m)->section == 2);
}

TEST_CASE("top: the snapshot has every job, no selection and no help line", "[top]") {
  std::vector<TopJob> jobs;
  for (int i = 0; i < 100; ++i) jobs.push_back(job("j" + std::to_string(i), "running", 1000 + i));
  const auto text = render_top_snapshot(model_of(jobs));
  CHECK(std::count(text.begin(), text.end(), '\n') == 102);
  CHECK_FALSE(has(text, "q quit"));
}

TEST_CASE("top: statuses and stats are joined by name, in status order", "[top]") {
  std::vector<proto::JobStatus> statuses(2);
  statuses[0].name = "b";
  statuses[1].name = "a";
  std::vector<proto::JobStats> stats(1);
  stats[0].name = "a";
  stats[0].processes = 4;
  const auto jobs = join_jobs(statuses, stats);
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].status.name == "b");
  CHECK_FALSE(jobs[0].stats);
  REQUIRE(jobs[1].stats);
  CHECK(jobs[1].stats->processes == 4);
}
