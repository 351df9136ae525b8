// supctl doctor against a real supd: a python job without -u is a warning (exit 0, 1 with
// --strict); with no supd (or a stale socket) the socket check fails, still one line per
// check, exit 1 and never 3; without systemd, linger and systemd say n/a.
#include "tests/support/harness.hpp"

#include <cstring>
#include <filesystem>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace supd::test;

namespace {

// A python interpreter to run, or "" when the machine has none.
std::string find_python() {
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  const std::string path = getenv_or("PATH", "/usr/local/bin:/usr/bin:/bin");
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const auto candidate = path.substr(start, end - start) + "/python3";
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

bool is_check_line(const std::string& line) {
  return line.starts_with("ok    ") || line.starts_with("warn  ") || line.starts_with("fail  ") ||
         line.starts_with("n/a   ");
}

std::vector<std::string> lines_named(const std::string& out, const std::string& name) {
  std::vector<std::string> found;
  for (const auto& line : split_lines(out)) {
    const auto words = split_words(line);
    if (words.size() >= 2 && words[1] == name) found.push_back(line);
  }
  return found;
}

}  // namespace

TEST_CASE("supctl doctor reports a python job without -u", "[integration][ctl][doctor]") {
  const auto python = find_python();
  if (python.empty()) {
    WARN("no python3 on this machine: the buffering case is skipped");
    return;
  }
  // py opted out of the PYTHONUNBUFFERED=1 supd gives every job; by_default did not, and its
  // print without flush reaches the log at once (issue 17).
  TestDaemon d("[jobs.py]\ncommand = [\"" + python +
               "\", \"-c\", \"import time; print('up', flush=True); time.sleep(1000)\"]\n"
               "environment = { PYTHONUNBUFFERED = \"\" }\n"
               "[jobs.by_default]\ncommand = [\"" + python +
               "\", \"-c\", \"import time; print('up'); time.sleep(1000)\"]\n"
               "[jobs.unbuffered]\ncommand = [\"" + python +
               "\", \"-u\", \"-c\", \"import time; print('up'); time.sleep(1000)\"]\n"
               "[jobs.plain]\ncommand = [\"sleep\", \"1000\"]\n");
  REQUIRE(d.wait_running("py") > 0);
  REQUIRE(d.wait_running("by_default") > 0);
  REQUIRE(d.wait_running("unbuffered") > 0);
  REQUIRE(d.wait_running("plain") > 0);
  // Once it printed, the job is python itself (not a wrapper that has yet to exec).
  REQUIRE(eventually([&] { return contains(d.read_log("py"), "up"); }));
  REQUIRE(eventually([&] { return contains(d.read_log("by_default"), "up"); }));
  REQUIRE(eventually([&] { return contains(d.read_log("unbuffered"), "up"); }));

  const auto r = d.ctl({"doctor"});
  INFO(r.out << r.err);
  const bool failed = contains(r.out, "\nfail  ") || r.out.starts_with("fail  ");
  CHECK(r.exit_code == (failed ? kRefused : kOk));  // a warning alone does not fail doctor
  CHECK(r.err.empty());
  for (const auto& line : split_lines(r.out)) CHECK(is_check_line(line));
  CHECK(d.ctl({"doctor", "--strict"}).exit_code == kRefused);  // the buffering warning fails it

  const auto socket = lines_named(r.out, "socket");
  REQUIRE(socket.size() == 1);
  CHECK(socket[0].starts_with("ok "));
  CHECK(contains(socket[0], d.socket().string()));
  CHECK(contains(socket[0], "(pid " + std::to_string(d.pid()) + ")"));

  const auto buffering = lines_named(r.out, "buffering");
  REQUIRE(buffering.size() == 1);  // py only: not by_default, not the -u one, not sleep
  CHECK(buffering[0].starts_with("warn "));
  CHECK(contains(buffering[0], "job py runs python without -u"));
  CHECK(contains(buffering[0], "PYTHONUNBUFFERED=1"));
  for (const char* name : {"systemd", "linger", "log-dir", "config"}) CHECK(lines_named(r.out, name).size() == 1);

  const auto j = d.ctl({"--json", "doctor", "--strict"});
  INFO(j.out << j.err);
  CHECK(j.exit_code == kRefused);
  CHECK(count_occurrences(j.out, "\n") == 1);
  const auto doc = json::parse(j.out);
  CHECK(doc["ok"] == false);
  bool found = false;
  for (const auto& c : doc["checks"])
    if (c["name"] == "buffering" && c["status"] == "warn" && contains(c["message"].get<std::string>(), "job py "))
      found = true;
  CHECK(found);

  d.finish();
}

TEST_CASE("supctl doctor without supd fails the socket check and still reports", "[integration][ctl][doctor]") {
  DaemonOptions options;
  options.start = false;
  TestDaemon d("[jobs.a]\ncommand = [\"sleep\", \"1000\"]\n", options);

  const auto check_no_daemon = [&](const std::string& expected) {
    const auto r = d.ctl({"doctor"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == kRefused);  // a report, not "unreachable" (3)
    CHECK(r.err.empty());
    const auto lines = split_lines(r.out);
    CHECK(lines.size() == 7);  // socket systemd linger log-dir config cgroups buffering
    for (const auto& line : lines) CHECK(is_check_line(line));
    REQUIRE(!lines.empty());
    CHECK(lines[0].starts_with("fail  socket "));
    CHECK(contains(lines[0], expected));

    const auto j = d.ctl({"doctor", "--json"});
    INFO(j.out << j.err);
    CHECK(j.exit_code == kRefused);
    const auto doc = json::parse(j.out);
    CHECK(doc["ok"] == false);
    REQUIRE(doc["checks"].size() == 7);
    CHECK(doc["checks"][0]["name"] == "socket");
    CHECK(doc["checks"][0]["status"] == "fail");
  };

  SECTION("no socket") { check_no_daemon("supd is not running"); }

  SECTION("a stale socket left by a killed supd") {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const auto path = d.socket().string();
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);  // the file stays, nobody listens
    check_no_daemon("stale socket");
    // supd replaces it, as the message says
    d.start();
    const auto r = d.ctl({"doctor"});
    INFO(r.out << r.err);
    CHECK(lines_named(r.out, "socket").size() == 1);
    CHECK(lines_named(r.out, "socket")[0].starts_with("ok "));
    d.finish();
  }
}

TEST_CASE("supctl doctor on a machine without systemd says n/a for linger and systemd", "[integration][ctl][doctor]") {
  if (std::filesystem::exists("/run/systemd/system")) {
    WARN("systemd runs this machine: the case without it is covered by the unit tests only");
    return;
  }
  TestDaemon d("[jobs.a]\ncommand = [\"sleep\", \"1000\"]\n");
  REQUIRE(d.wait_running("a") > 0);
  const auto r = d.ctl({"doctor"});
  INFO(r.out << r.err);
  for (const char* name : {"linger", "systemd"}) {
    const auto lines = lines_named(r.out, name);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("n/a   "));
    CHECK(contains(lines[0], "@reboot supd --detach"));
    CHECK(!contains(lines[0], "loginctl"));
  }
  CHECK(!contains(r.out, "die at logout"));
  const bool failed = contains(r.out, "\nfail  ") || r.out.starts_with("fail  ");
  CHECK(r.exit_code == (failed ? kRefused : kOk));
  const auto j = d.ctl({"--json", "doctor"});
  const auto doc = json::parse(j.out);
  for (const auto& c : doc["checks"])
    if (c["name"] == "linger") CHECK(c["status"] == "n/a");
  d.finish();
}
