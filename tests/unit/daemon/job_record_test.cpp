// Job records (daemon/continuity/job_record.hpp): what a supd leaves on disk so the next one adopts its
// jobs. Round trips, refusals of anything incomplete, and the /proc/PID/stat start time.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/continuity/job_record.hpp"
#include "daemon/process/pidfd_exit.hpp"
#include "tests/unit/daemon/paused_child.hpp"

namespace supd::daemon {
namespace {

JobRecord sample() {
  return {"amsa", 4242, 4242, 123456789ULL, 1764090000123LL, 3, {"python3", "-u", "amsa.py", "a b\n\"c\""}};
}

TEST_CASE("a job record survives encode and decode unchanged", "[job_record]") {
  const auto r = sample();
  const auto text = encode_record(r);
  CHECK(text.back() == '\n');
  CHECK(text.find('\n') == text.size() - 1);  // one line
  const auto back = decode_record(text);
  REQUIRE(back);
  CHECK(*back == r);
}

TEST_CASE("a job record with anything missing or wrong is refused with a reason", "[job_record]") {
  const std::string good = encode_record(sample());
  std::string why;
  CHECK_FALSE(decode_record("", &why));
  CHECK_FALSE(why.empty());
  CHECK_FALSE(decode_record("[1,2]", &why));
  CHECK_FALSE(decode_record(good.substr(0, good.size() / 2), &why));  // cut short
  const auto without = [&](const std::string& key) {
    auto j = nlohmann::json::parse(good);
    j.erase(key);
    return j.dump();
  };
  for (const char* key : {"version", "name", "pid", "pgid", "starttime", "spawned_at_ms", "spawns", "argv"}) {
    INFO(key);
    why.clear();
    CHECK_FALSE(decode_record(without(key), &why));
    CHECK_FALSE(why.empty());
  }
  const auto with = [&](const std::string& key, const nlohmann::json& v) {
    auto j = nlohmann::json::parse(good);
    j[key] = v;
    return j.dump();
  };
  CHECK_FALSE(decode_record(with("version", 2)));
  CHECK_FALSE(decode_record(with("name", "a/b")));
  CHECK_FALSE(decode_record(with("name", "..")));
  CHECK_FALSE(decode_record(with("pid", 0)));
  CHECK_FALSE(decode_record(with("pid", -1)));
  CHECK_FALSE(decode_record(with("pid", 1ULL << 40)));
  CHECK_FALSE(decode_record(with("pgid", "4242")));
  CHECK_FALSE(decode_record(with("starttime", 0)));
  CHECK_FALSE(decode_record(with("spawns", 0)));
  CHECK_FALSE(decode_record(with("argv", nlohmann::json::array({1, 2}))));
  CHECK(decode_record(with("unknown_field", true)));  // a newer supd may add fields
}

TEST_CASE("the start time is field 22 of /proc/PID/stat, whatever the command name holds", "[job_record]") {
  const std::string tail = " S 1 100 100 0 -1 4194560 101 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10";
  CHECK(parse_stat_starttime("100 (sleep)" + tail) == 987654ULL);
  CHECK(parse_stat_starttime("100 (a) b) (c)" + tail) == 987654ULL);  // ')' inside the name
  CHECK(parse_stat_starttime("100 (x y z)" + tail) == 987654ULL);
  CHECK_FALSE(parse_stat_starttime("100 sleep" + tail));
  CHECK_FALSE(parse_stat_starttime("100 (sleep) S 1 100"));  // too short
  CHECK_FALSE(parse_stat_starttime("100 (sleep) S 1 100 100 0 -1 4194560 101 0 0 0 0 0 0 0 20 0 1 0 9x8 1"));
}

TEST_CASE("a zombie's wait status is field 52 of /proc/PID/stat", "[job_record]") {
  std::string line = "100 (a) b) Z";  // fields 3..51, then exit_code
  for (int field = 4; field <= 51; ++field) line += " " + std::to_string(field);
  CHECK(parse_stat_exit_code(line + " 15") == 15);    // killed by SIGTERM
  CHECK(parse_stat_exit_code(line + " 768") == 768);  // exited 3
  CHECK_FALSE(parse_stat_exit_code(line));            // a kernel before 3.5: no such field
  CHECK_FALSE(parse_stat_exit_code(line + " 99999999"));
}

TEST_CASE("an exited child not yet reaped gives its status through /proc, then through its pidfd once reaped",
          "[job_record][pidfd_exit]") {
  const pid_t pid = supd::test::fork_paused_child();
  REQUIRE(pid > 0);
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
  REQUIRE(fd >= 0);
  CHECK(pidfd_exit_status(fd).kind != PidfdExit::Kind::Known);  // alive
  const auto start = parse_stat_starttime(*read_proc_stat_line(pid));
  ::kill(pid, SIGTERM);
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 10000) == 1);  // exited: a zombie until we reap it
  const auto zombie = read_proc_stat_line(pid);
  REQUIRE(zombie);
  CHECK(parse_stat_starttime(*zombie) == start);
  CHECK(parse_stat_exit_code(*zombie) == SIGTERM);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  const auto after = pidfd_exit_status(fd);
  if (after.kind == PidfdExit::Kind::Unsupported) {
    WARN("this kernel has no PIDFD_INFO_EXIT (Linux 6.15+): the pidfd tells nothing after the reap");
  } else {
    CHECK(after.kind == PidfdExit::Kind::Known);
    CHECK(after.status == common::ExitStatus::killed(SIGTERM));
  }
  ::close(fd);
}

TEST_CASE("state and ppid come after the last parenthesis of /proc/PID/stat", "[job_record]") {
  const auto st = parse_stat_state("100 (a) Z b) Z 4242 100 100 0");
  REQUIRE(st);
  CHECK(st->state == 'Z');
  CHECK(st->ppid == 4242);
  CHECK_FALSE(parse_stat_state("100 (sleep"));
  CHECK_FALSE(parse_stat_state("100 (x) S"));
}

TEST_CASE("a live process is read from /proc and a gone one is not", "[job_record]") {
  const auto self = read_proc_stat_line(::getpid());
  REQUIRE(self);
  const auto st = parse_stat_state(*self);
  REQUIRE(st);
  CHECK(st->state == 'R');
  CHECK(st->ppid == ::getppid());
  CHECK_FALSE(read_proc_stat_line(0));
}

TEST_CASE("our own start time parses from the real /proc", "[job_record]") {
  std::ifstream in("/proc/self/stat");
  std::string line;
  REQUIRE(std::getline(in, line));
  const auto t = parse_stat_starttime(line);
  REQUIRE(t);
  CHECK(*t > 0);
}

}  // namespace
}  // namespace supd::daemon
