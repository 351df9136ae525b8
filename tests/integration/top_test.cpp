// supctl top in a real terminal: tmux runs a shell, the test types `supctl top` into it,
// presses keys with send-keys and reads the screen with capture-pane (tests/support/
// tmux_pane.hpp); and its snapshot when not on a terminal.
#include <csignal>

#include "tests/support/harness.hpp"
#include "tests/support/tmux_pane.hpp"

using namespace supd::test;

namespace {

#define SKIP_WITHOUT_TMUX()                                   \
  if (!TmuxPane::available()) {                               \
    WARN("skipped: no tmux (scripts/deps.sh installs it)"); \
    return;                                                   \
  }

// Types `supctl --socket S top` at the shell prompt and waits for the first screen.
void start_top(TmuxPane& tmux, const TestDaemon& d) {
  tmux.type(std::string(SUPCTL_BIN) + " --socket " + d.socket().string() + " top");
  tmux.keys({"Enter"});
  REQUIRE(tmux.wait_for([](const std::string& s) { return contains(s, "RESTARTS") && contains(s, "q quit"); }));
}

bool row_has(const std::string& screen, const std::string& job, const std::string& what) {
  return contains(screen_row(screen, job), what);
}

// The last line of the screen that is not blank.
std::string last_line(const std::string& screen) {
  std::string last;
  for (const auto& line : split_lines(screen))
    if (line.find_first_not_of(' ') != std::string::npos) last = line;
  return last;
}

// After q or Ctrl-C: the shell's prompt back ("$", or "#" for root), below the command line,
// and no trace of top.
bool prompt_is_clean(const std::string& screen) {
  const auto last = last_line(screen);
  return (last == "$" || last == "#") && !contains(screen, "RESTARTS") && contains(screen, " top");
}

}  // namespace

TEST_CASE("top in a terminal: every job with its numbers, a kill from outside shown, s starts it, q leaves a clean prompt",
          "[integration][top]") {
  SKIP_WITHOUT_TMUX();
  TestDaemon d(R"(
[jobs.api]
command = ["sh", "-c", "echo api says hello; exec sleep 100000"]
restart = "never"
[jobs.worker]
command = ["sleep", "100000"]
)");
  const pid_t api = d.wait_running("api");
  REQUIRE(api > 0);
  REQUIRE(d.wait_running("worker") > 0);
  TmuxPane tmux(d.dir(), d.env(), 150, 30);
  start_top(tmux, d);
  CHECK(tmux.wait_for([&](const std::string& s) {
    return contains(s, "supd " + std::to_string(d.pid()) + ", up ") && contains(s, "2 jobs: 2 running") &&
           row_has(s, "api", "RUNNING") && row_has(s, "api", std::to_string(api)) &&
           row_has(s, "api", "api says hello") && row_has(s, "worker", "RUNNING");
  }));
  INFO(tmux.last_screen());
  for (const auto* column : {"NAME", "STATE", "PID", "CPU%", "RSS", "UPTIME", "RESTARTS", "HEALTH", "LAST LINE"})
    CHECK(contains(tmux.last_screen(), column));

  // Killed from outside: top shows it, without a key pressed.
  ::kill(api, SIGKILL);
  CHECK(tmux.wait_for([](const std::string& s) { return row_has(s, "api", "EXITED"); }));

  // s on the selected (first) row starts it again.
  tmux.keys({"s"});
  CHECK(tmux.wait_for([&](const std::string& s) { return row_has(s, "api", "RUNNING"); }));
  const pid_t again = d.wait_running("api");
  CHECK(again != api);

  tmux.keys({"q"});
  CHECK(tmux.wait_for(prompt_is_clean));
  INFO(tmux.last_screen());
  tmux.close();
  d.finish();
}

TEST_CASE("top keys: arrows select, S stops, r restarts, k signals, l shows the log, e the events, / filters",
          "[integration][top]") {
  SKIP_WITHOUT_TMUX();
  TestDaemon d(R"(
[jobs.api]
command = ["sh", "-c", "trap 'echo api got usr1' USR1; echo api up; while :; do sleep 0.1; done"]
[jobs.web]
command = ["sleep", "100000"]
[jobs.worker]
command = ["sleep", "100000"]
)");
  const pid_t api = d.wait_running("api");
  REQUIRE(api > 0);
  REQUIRE(d.wait_running("worker") > 0);
  REQUIRE(d.wait_running("web") > 0);
  TmuxPane tmux(d.dir(), d.env(), 150, 30);
  start_top(tmux, d);

  // Down to web, S: web stops, the others run on.
  tmux.keys({"Down", "S"});
  CHECK(tmux.wait_for([](const std::string& s) { return row_has(s, "web", "STOPPED"); }));
  CHECK(d.state("web") == "stopped");
  CHECK(d.state("api") == "running");
  CHECK(d.state("worker") == "running");

  // Up to api, r: a new process.
  tmux.keys({"Up", "r"});
  const pid_t restarted = d.wait_new_pid("api", api);
  CHECK(restarted > 0);
  CHECK(tmux.wait_for([&](const std::string& s) { return row_has(s, "api", std::to_string(restarted)); }));
  REQUIRE(eventually([&] { return file_contains(d.log_file("api"), "api up\napi up\n"); }));

  // k: a prompt with TERM in it; USR1 typed in its place goes to api.
  tmux.keys({"k"});
  CHECK(tmux.wait_for([](const std::string& s) { return contains(s, "signal api") && contains(s, "TERM_"); }));
  tmux.keys({"BSpace", "BSpace", "BSpace", "BSpace"});
  tmux.type("USR1");
  tmux.keys({"Enter"});
  CHECK(eventually([&] { return file_contains(d.log_file("api"), "api got usr1"); }));
  CHECK(d.state("api") == "running");

  // l: api's own lines; q back to the jobs.
  tmux.keys({"l"});
  CHECK(tmux.wait_for([](const std::string& s) {
    return contains(s, "api: its output") && contains(s, "api got usr1") && contains(s, "api up");
  }));
  tmux.keys({"q"});
  CHECK(tmux.wait_for([](const std::string& s) { return contains(s, "RESTARTS") && row_has(s, "worker", "RUNNING"); }));

  // e: api's events, the signal among them; Esc back.
  tmux.keys({"e"});
  CHECK(tmux.wait_for([](const std::string& s) { return contains(s, "api: its events") && contains(s, "SIGUSR1"); }));
  INFO(tmux.last_screen());
  tmux.keys({"Escape"});
  CHECK(tmux.wait_for([](const std::string& s) { return contains(s, "RESTARTS"); }));

  // /: only the jobs whose name holds what was typed; / and Esc clears it.
  tmux.keys({"/"});
  tmux.type("wor");
  tmux.keys({"Enter"});
  CHECK(tmux.wait_for([](const std::string& s) {
    return contains(s, "filter: wor") && !screen_row(s, "worker").empty() && screen_row(s, "api").empty() &&
           screen_row(s, "web").empty();
  }));
  tmux.keys({"/", "Escape"});
  CHECK(tmux.wait_for([](const std::string& s) { return !screen_row(s, "api").empty() && !contains(s, "filter:"); }));

  tmux.keys({"q"});
  CHECK(tmux.wait_for(prompt_is_clean));
  tmux.close();
  d.finish();
}

TEST_CASE("top redraws for a new terminal size, and Ctrl-C gives the terminal back as it was", "[integration][top]") {
  SKIP_WITHOUT_TMUX();
  TestDaemon d(R"(
[jobs.api]
command = ["sh", "-c", "echo a line of output that is longer than sixty columns, so it must be cut; exec sleep 100000"]
)");
  REQUIRE(d.wait_running("api") > 0);
  TmuxPane tmux(d.dir(), d.env(), 150, 30);
  start_top(tmux, d);
  CHECK(tmux.wait_for([](const std::string& s) { return row_has(s, "api", "so it must be cut"); }));

  tmux.resize(60, 15);
  // Redrawn for 15 rows: the help line is on the new last row, every row within 60 columns.
  CHECK(tmux.wait_for([](const std::string& s) {
    const auto lines = split_lines(s);
    return lines.size() >= 15 && lines[14].rfind("arrows select", 0) == 0 && row_has(s, "api", "RUNNING");
  }));
  INFO(tmux.last_screen());
  for (const auto& line : split_lines(tmux.last_screen())) CHECK(line.size() <= 60);

  tmux.keys({"C-c"});
  CHECK(tmux.wait_for(prompt_is_clean));
  // The terminal echoes again and the shell reads lines: what top changed is undone.
  tmux.type("echo $((40 + 2))");
  tmux.keys({"Enter"});
  CHECK(tmux.wait_for([](const std::string& s) { return contains(s, " echo $((40 + 2))\n42\n"); }));
  INFO(tmux.last_screen());
  tmux.close();
  d.finish();
}

TEST_CASE("top --once, and top not on a terminal: one snapshot as text", "[integration][top]") {
  TestDaemon d(R"(
[jobs.api]
command = ["sh", "-c", "echo ready to serve; exec sleep 100000"]
[jobs.idle]
command = ["sleep", "100000"]
autostart = false
)");
  REQUIRE(d.wait_running("api") > 0);
  REQUIRE(eventually([&] { return file_contains(d.log_file("api"), "ready to serve"); }));
  for (const auto& args : {std::vector<std::string>{"top", "--once"}, std::vector<std::string>{"top"}}) {
    const auto r = d.ctl(args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == kOk);
    const auto lines = split_lines(r.out);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "supd " + std::to_string(d.pid()) + lines[0].substr(lines[0].find(',')));
    CHECK(contains(lines[0], "2 jobs: 1 running, 1 stopped"));
    CHECK(lines[1].rfind("NAME", 0) == 0);
    CHECK(contains(lines[2], "RUNNING"));
    CHECK(contains(lines[2], "ready to serve"));
    CHECK(contains(lines[3], "STOPPED"));
    CHECK_FALSE(contains(r.out, "q quit"));
  }
  const auto json = d.ctl({"--json", "top"});
  CHECK(json.exit_code == kUsage);
  CHECK(is_one_line(json.err));
  d.finish();
}

TEST_CASE("top --once with no supd says so in one line and exits 3", "[integration][top]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d("", opts);
  const auto r = d.ctl({"top", "--once"});
  CHECK(r.exit_code == kUnreachable);
  CHECK(is_one_line(r.err));
  CHECK(r.out.empty());
}

TEST_CASE("top with a thousand jobs: End, Home, Page Down and Page Up reach the rows s starts",
          "[integration][top][stress]") {
  SKIP_WITHOUT_TMUX();
  std::string toml;
  for (int i = 0; i < 1000; ++i) toml += "[jobs.j" + std::to_string(i) + "]\ncommand = [\"sleep\", \"100000\"]\nautostart = false\n";
  TestDaemon d(toml);
  TmuxPane tmux(d.dir(), d.env(), 150, 40);
  start_top(tmux, d);
  CHECK(tmux.wait_for([](const std::string& s) { return contains(s, "1000 jobs: 1000 stopped"); }));
  tmux.keys({"End"});
  CHECK(tmux.wait_for([](const std::string& s) { return row_has(s, "j999", "STOPPED"); }));
  tmux.keys({"s"});
  CHECK(tmux.wait_for([](const std::string& s) { return row_has(s, "j999", "RUNNING"); }));
  CHECK(d.state("j999") == "running");
  CHECK(d.state("j998") == "stopped");
  // Home, then Page Down: half a screen (20 rows of 40) further, j20; Page Up: back to j0.
  tmux.keys({"Home", "NPage", "s"});
  CHECK(tmux.wait_for([](const std::string& s) { return row_has(s, "j20", "RUNNING"); }));
  tmux.keys({"PPage", "s"});
  CHECK(tmux.wait_for([](const std::string& s) { return row_has(s, "j0", "RUNNING"); }));
  CHECK(d.state("j19") == "stopped");
  CHECK(d.state("j21") == "stopped");
  tmux.keys({"q"});
  CHECK(tmux.wait_for(prompt_is_clean));
  d.ctl({"stop", "all"});
  tmux.close();
  d.finish();
}
