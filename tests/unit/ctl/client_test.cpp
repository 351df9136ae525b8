// supctl against a scripted fake supd on a real Unix socket: hello first, one request, the
// exit codes (0, 1, 3), time limits, EOF handling, and the single stderr line.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.hpp"
#include "common/line_reader.hpp"
#include "common/protocol.hpp"
#include "ctl/cli.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/run.hpp"
#include "tests/unit/ctl/fake_supd.hpp"

namespace fs = std::filesystem;
namespace proto = supd::protocol;
using namespace std::chrono_literals;
using supd::common::UniqueFd;
using namespace supd::ctl_test;

namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome supctl(const fs::path& socket, std::vector<std::string> args) {
  args.insert(args.begin(), {"--socket", socket.string()});
  const auto parsed = supd::ctl::parse_cli(args);
  std::ostringstream out, err;
  const auto no_env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  const int code = supd::ctl::run(parsed, out, err, no_env);
  return {code, out.str(), err.str()};
}

bool one_reply_line(const std::string& s) { return s.size() > 1 && s.find('\n') == s.size() - 1; }

}  // namespace

TEST_CASE("no socket: exit 3 with one line saying how to start supd", "[ctl][client]") {
  TempDir dir;
  const auto r = supctl(dir.path / "supd.sock", {"status"});
  CHECK(r.code == supd::ctl::kUnreachable);
  CHECK(r.out.empty());
  CHECK(one_reply_line(r.err));
  CHECK(r.err == "supctl: cannot reach supd at " + (dir.path / "supd.sock").string() +
                     " (No such file or directory); start it with: supd --detach --socket " +
                     (dir.path / "supd.sock").string() + "\n");
}

TEST_CASE("a socket nobody listens on: exit 3", "[ctl][client]") {
  TempDir dir;
  const auto path = dir.path / "supd.sock";
  const auto stale = bound_socket(path);  // bound, never listening: connection refused
  const auto r = supctl(path, {"pid", "amsa"});
  CHECK(r.code == supd::ctl::kUnreachable);
  CHECK(r.err.find("(Connection refused); start it with: supd --detach") != std::string::npos);
  CHECK(one_reply_line(r.err));
}

TEST_CASE("a supd that never answers hello: exit 3 after the timeout", "[ctl][client]") {
  TempDir dir;
  const auto path = dir.path / "supd.sock";
  const auto listener = bound_socket(path);
  REQUIRE(::listen(listener.get(), 8) == 0);  // like a SIGSTOPped supd: the kernel accepts
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = supctl(path, {"--timeout", "200ms", "status"});
  CHECK(std::chrono::steady_clock::now() - t0 >= 200ms);
  CHECK(r.code == supd::ctl::kUnreachable);
  CHECK(r.err.find("did not answer within 200ms") != std::string::npos);
  CHECK(one_reply_line(r.err));
}

TEST_CASE("hello comes first, then the one request, and the table is printed", "[ctl][client]") {
  std::vector<proto::Request> seen;
  FakeSupd supd([&](Conn& c) {
    seen.push_back(c.read_request());
    c.reply(seen.back().id, {{"protocol", 1}, {"version", "0.1.0"}});
    seen.push_back(c.read_request());
    proto::JobStatus j{"amsa", "running", 4242, 192.0, 0, std::nullopt, std::nullopt};
    c.reply(seen.back().id, proto::jobs_result({j}));
    CHECK(c.read_line().empty());  // supctl hangs up after one request
  });
  const auto r = supctl(supd.socket(), {"status", "amsa"});
  CHECK(r.code == supd::ctl::kOk);
  CHECK(r.err.empty());
  CHECK(r.out == "NAME  STATE    PID   UPTIME  RESTARTS  LAST-EXIT\n"
                 "amsa  RUNNING  4242  3m12s   0         -\n");
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].command == proto::Command{proto::Hello{1}});
  CHECK(seen[1].command == proto::Command{proto::Status{{"amsa"}}});
  CHECK(seen[0].id != seen[1].id);
}

TEST_CASE("json status prints the result document as supd sent it", "[ctl][client]") {
  const std::string result =
      R"({"jobs":[{"name":"amsa","state":"running","pid":4242,"uptime_s":12.5,"restarts":0,"last_exit":null,"error":null}]})";
  FakeSupd supd([&](Conn& c) {
    c.greet();
    const auto req = c.read_request();
    c.send(R"({"id":)" + std::to_string(req.id) + R"(,"ok":true,"result":)" + result + "}\n");
  });
  const auto r = supctl(supd.socket(), {"status", "--json"});
  CHECK(r.code == supd::ctl::kOk);
  CHECK(r.out == result + "\n");
}

TEST_CASE("an error response: exit 1, one stderr line, nothing on stdout", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    const auto req = c.read_request();
    c.fail(req.id, proto::ErrorCode::UnknownJob, "no job named 'nope'");
  });
  const auto r = supctl(supd.socket(), {"status", "nope"});
  CHECK(r.code == supd::ctl::kFailed);
  CHECK(r.out.empty());
  CHECK(r.err == "supctl: no job named 'nope'; see: supctl status\n");
}

TEST_CASE("pid of a job without a process: exit 1, nothing on stdout", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    const auto req = c.read_request();
    CHECK(req.command == proto::Command{proto::Pid{"amsa"}});
    c.fail(req.id, proto::ErrorCode::NotRunning, "amsa is not running (exited)");
  });
  const auto r = supctl(supd.socket(), {"pid", "amsa"});
  CHECK(r.code == supd::ctl::kFailed);
  CHECK(r.out.empty());
  CHECK(one_reply_line(r.err));
}

TEST_CASE("pid prints the number only", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    c.reply(c.read_request().id, {{"pid", 4242}});
  });
  const auto r = supctl(supd.socket(), {"pid", "amsa"});
  CHECK(r.code == supd::ctl::kOk);
  CHECK(r.out == "4242\n");
}

TEST_CASE("a start that fails names the job and the reason", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    const auto req = c.read_request();
    CHECK(req.command == proto::Command{proto::Start{{"amsa"}, true}});
    c.fail(req.id, proto::ErrorCode::StartFailed, "amsa: exec amsa.py: No such file or directory");
  });
  const auto r = supctl(supd.socket(), {"start", "amsa"});
  CHECK(r.code == supd::ctl::kFailed);
  CHECK(r.err == "supctl: amsa: exec amsa.py: No such file or directory; see: supctl status\n");
}

TEST_CASE("a different protocol version is refused: exit 1", "[ctl][client]") {
  SECTION("supd says version_mismatch") {
    FakeSupd supd([](Conn& c) {
      const auto hello = c.read_request();
      c.fail(hello.id, proto::ErrorCode::VersionMismatch, "supd speaks protocol 2");
    });
    const auto r = supctl(supd.socket(), {"status"});
    CHECK(r.code == supd::ctl::kFailed);
    CHECK(r.err == "supctl: supd speaks protocol 2; use the supctl that came with this supd\n");
  }
  SECTION("supd answers with another number") {
    FakeSupd supd([](Conn& c) { c.reply(c.read_request().id, {{"protocol", 2}, {"version", "9.0"}}); });
    const auto r = supctl(supd.socket(), {"status"});
    CHECK(r.code == supd::ctl::kFailed);
    CHECK(r.err.find("speaks protocol 2, this supctl speaks 1") != std::string::npos);
  }
}

TEST_CASE("supd hanging up before it answers: exit 3", "[ctl][client]") {
  SECTION("during hello") {
    FakeSupd supd([](Conn& c) { c.close(); });
    CHECK(supctl(supd.socket(), {"status"}).code == supd::ctl::kUnreachable);
  }
  SECTION("during the request") {
    FakeSupd supd([](Conn& c) {
      c.greet();
      c.read_line();
      c.close();
    });
    const auto r = supctl(supd.socket(), {"stop", "amsa"});
    CHECK(r.code == supd::ctl::kUnreachable);
    CHECK(r.err.find("closed the connection before answering") != std::string::npos);
    CHECK(one_reply_line(r.err));
  }
}

TEST_CASE("a waiting command past an explicit --timeout: exit 1", "[ctl][client]") {
  FakeSupd supd([&](Conn& c) {
    c.greet();
    c.read_line();
    c.read_line();  // holds the stop unanswered until supctl gives up and hangs up

  });
  const auto r = supctl(supd.socket(), {"stop", "amsa", "--timeout", "200ms"});
  CHECK(r.code == supd::ctl::kFailed);
  CHECK(r.err.find("no answer from supd within 200ms") != std::string::npos);
  CHECK(one_reply_line(r.err));
}

TEST_CASE("a read command unanswered after hello: exit 3", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    c.read_line();
    c.read_line();
  });
  const auto r = supctl(supd.socket(), {"--timeout", "200ms", "status"});
  CHECK(r.code == supd::ctl::kUnreachable);
}

TEST_CASE("an error for a line supd could not read (id null) is still an error: exit 1", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    c.read_line();
    c.send(proto::encode_error(std::nullopt, {proto::ErrorCode::TooLarge, "request over 1 MiB"}));
  });
  const auto r = supctl(supd.socket(), {"status"});
  CHECK(r.code == supd::ctl::kFailed);
  CHECK(r.err == "supctl: request over 1 MiB; use fewer or shorter arguments\n");
}

TEST_CASE("garbage from the socket is a bad reply, not a crash: exit 1", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    c.read_line();
    c.send("this is not json\n");
  });
  const auto r = supctl(supd.socket(), {"status"});
  CHECK(r.code == supd::ctl::kFailed);
  CHECK(one_reply_line(r.err));
}

TEST_CASE("shutdown returns only once supd has closed the connection", "[ctl][client]") {
  std::atomic<bool> closed{false};
  FakeSupd supd([&](Conn& c) {
    c.greet();
    const auto req = c.read_request();
    CHECK(req.command == proto::Command{proto::Shutdown{}});
    c.reply(req.id, {{"stopped", 2}});
    std::this_thread::sleep_for(100ms);  // supd still stopping: supctl must keep waiting
    closed = true;
    c.close();
  });
  const auto r = supctl(supd.socket(), {"shutdown"});
  CHECK(closed);
  CHECK(r.code == supd::ctl::kOk);
  CHECK(r.out == "supd stopped 2 jobs and exited\n");
}

TEST_CASE("signal sends the canonical name and prints what was delivered", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    const auto req = c.read_request();
    CHECK(req.command == proto::Command{proto::SignalJob{"amsa", "USR1", false}});
    c.reply(req.id, {{"job", "amsa"}, {"pid", 4242}, {"signal", "USR1"}, {"group", false}});
  });
  const auto r = supctl(supd.socket(), {"signal", "amsa", "sigusr1"});
  CHECK(r.code == supd::ctl::kOk);
  CHECK(r.out == "amsa: sent USR1 to pid 4242\n");
}

TEST_CASE("a refused reload: nothing on stdout, every config error on one stderr line, exit 1", "[ctl][client]") {
  for (const bool json : {false, true}) {
    CAPTURE(json);
    const std::string result = R"({"dry_run":false,"applied":false,"jobs":[],"supd":[],"warnings":[],)"
                               R"("errors":["supd.toml:3:1: x","supd.toml:9:2: two\nlines"]})";
    FakeSupd supd([&](Conn& c) {
      c.greet();
      const auto req = c.read_request();
      CHECK(req.command == proto::Command{proto::Reload{false, true}});
      c.send(R"({"id":)" + std::to_string(req.id) + R"(,"ok":true,"result":)" + result + "}\n");
    });
    std::vector<std::string> args{"reload"};
    if (json) args.push_back("--json");
    const auto r = supctl(supd.socket(), args);
    CHECK(r.code == supd::ctl::kFailed);
    CHECK(r.out == (json ? result + "\n" : ""));
    // Each error on its own line, as supd --check prints them, then what it means.
    CHECK(r.err == "supd.toml:3:1: x\nsupd.toml:9:2: two lines\n"
                   "supctl: reload refused, nothing changed: 2 error(s) in the config; fix them and reload again\n");
  }
}

TEST_CASE("a reload whose started job did not start prints its changes and exits 1 with why", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    const auto req = c.read_request();
    c.reply(req.id, nlohmann::json::parse(R"({"dry_run":false,"applied":true,"jobs":[{"name":"web","change":"added",)"
                                          R"("restart":false,"action":"start","fields":[]}],"supd":[],"warnings":[],)"
                                          R"j("errors":[],"failed":["web: exec failed (fatal)"]})j"));
  });
  const auto r = supctl(supd.socket(), {"reload"});
  CHECK(r.code == supd::ctl::kFailed);
  CHECK(r.out == "+ web: added\n");
  CHECK(r.err == "supctl: reload applied, but 1 job(s) did not start: web: exec failed (fatal); see: supctl why JOB\n");
}

TEST_CASE("an applied reload prints its changes and exits 0", "[ctl][client]") {
  FakeSupd supd([](Conn& c) {
    c.greet();
    const auto req = c.read_request();
    c.reply(req.id, nlohmann::json::parse(R"({"dry_run":false,"applied":true,"jobs":[{"name":"web","change":"added",)"
                                          R"("restart":false,"fields":[]}],"supd":[],"warnings":[],"errors":[]})"));
  });
  const auto r = supctl(supd.socket(), {"reload"});
  CHECK(r.code == supd::ctl::kOk);
  CHECK(r.out == "+ web: added\n");
  CHECK(r.err.empty());
}
