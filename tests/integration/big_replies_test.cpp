// Replies that grow with the number of jobs or lines (TESTPLAN R89, R90): a status of
// thousands of jobs spans frames under the 1 MiB cap and supctl prints it as one document; many
// clients asking for big log tails and reading nothing cost supd a bounded amount of memory,
// which it gives back once they are gone, and other clients are answered meanwhile.
#include <sys/ioctl.h>

#include <fstream>
#include <memory>
#include <set>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

std::string many_jobs_config(int n) {
  std::string toml;
  for (int i = 0; i < n; ++i)
    toml += "[jobs.j" + std::to_string(i) + "]\ncommand = [\"sleep\", \"1000\"]\nautostart = false\n\n";
  return toml;
}

// Bytes waiting to be read on a socket.
int unread_bytes(int fd) {
  int n = 0;
  return ::ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

}  // namespace

TEST_CASE("R90 a status of 7,500 jobs spans frames and supctl prints all of it", "[integration][R90]") {
  constexpr int kJobs = 7500;
  TestDaemon d(many_jobs_config(kJobs));

  const auto table = d.ctl({"status"});
  REQUIRE(table.exit_code == kOk);
  CHECK(std::count(table.out.begin(), table.out.end(), '\n') == kJobs + 1);  // the header too

  const auto doc = d.ctl({"--json", "status"});
  REQUIRE(doc.exit_code == kOk);
  CHECK(std::count(doc.out.begin(), doc.out.end(), '\n') == 1);  // one document
  const auto status = json::parse(doc.out);
  REQUIRE(status["jobs"].size() == kJobs);
  CHECK_FALSE(status.contains("more"));
  std::set<std::string> names;
  for (const auto& job : status["jobs"]) names.insert(job["name"].get<std::string>());
  CHECK(names.size() == kJobs);

  // On the wire: frames under the cap, the same id, "more" on all but the last.
  RawClient raw(d.socket());
  REQUIRE(raw.send("{\"id\":5,\"method\":\"status\"}\n"));
  std::size_t rows = 0, frames = 0;
  for (bool more = true; more; ++frames) {
    const auto line = raw.read_line();
    REQUIRE(line);
    CHECK(line->size() < (1u << 20));
    const auto frame = json::parse(*line);
    CHECK(frame["id"] == 5);
    CHECK(frame["ok"] == true);
    more = frame["result"].value("more", false);
    rows += frame["result"]["jobs"].size();
  }
  CHECK(frames > 1);
  CHECK(rows == kJobs);

  // A reload of them all: read off the loop, its diff in frames; a status asked meanwhile is
  // answered too.
  {
    std::ofstream(d.config_path(), std::ios::app) << "[jobs.added]\ncommand = [\"sleep\", \"1000\"]\nautostart = false\n";
  }
  RawClient reloader(d.socket());
  REQUIRE(reloader.send("{\"id\":1,\"method\":\"reload\"}\n"));
  RawClient other(d.socket());
  const auto one = other.request({{"id", 2}, {"method", "status"}, {"params", {{"jobs", {"j1"}}}}});
  REQUIRE(one);
  CHECK((*one)["result"]["jobs"][0]["name"] == "j1");
  std::size_t diffs = 0;
  for (bool more = true; more;) {
    const auto frame = reloader.read_json(30s);
    REQUIRE(frame);
    CHECK((*frame)["id"] == 1);
    more = (*frame)["result"].value("more", false);
    diffs += (*frame)["result"]["jobs"].size();
  }
  CHECK(diffs == kJobs + 1);
  CHECK(d.job("added"));
  d.check_invariants();
}

TEST_CASE("R89 clients asking for big tails and reading nothing: bounded memory, others answered",
          "[integration][R89]") {
  TestDaemon d(R"(
[jobs.big]
command = ["sleep", "1000"]
autostart = false
)");
  {  // 20 MB of log: every tail is the 1 MiB most
    std::ofstream out(d.log_file("big"), std::ios::binary);
    const std::string line(100, 'x');
    for (int i = 0; i < 200000; ++i) out << line << '\n';
  }
  const pid_t supd = d.pid();
  const long baseline = rss_kib(supd);
  REQUIRE(baseline > 0);

  // 100 connections (the uid's cap is 128), each asking for six 1 MiB tails, reading nothing:
  // before, each queued its six replies whole (about 770 MB in all).
  std::string requests;
  for (int i = 1; i <= 6; ++i)
    requests += json{{"id", i}, {"method", "logs"}, {"params", {{"job", "big"}, {"lines", 100000}}}}.dump() + "\n";
  std::vector<std::unique_ptr<RawClient>> hogs;
  for (int i = 0; i < 100; ++i) {
    hogs.push_back(std::make_unique<RawClient>(d.socket()));
    REQUIRE(hogs.back()->connected());
    REQUIRE(hogs.back()->send(requests));
  }
  // supd has begun answering every one of them (bytes wait in each socket).
  REQUIRE(eventually([&] {
    for (const auto& hog : hogs)
      if (unread_bytes(hog->fd()) == 0) return false;
    return true;
  }, 30s));

  // Another client is answered meanwhile (supctl's own deadline, no timing assertion).
  const auto status = d.ctl({"--timeout", "20s", "status"}, 30s);
  CHECK(status.exit_code == kOk);
  CHECK(status.out.find("big") != std::string::npos);
  // 32 MiB of queued replies plus at most a frame per client; generous for the rest.
  if (kRssMeasuresUse) CHECK(rss_kib(supd) < baseline + 160 * 1024);

  hogs.clear();
  // Once they are gone the queues drain and supd gives the memory back.
  REQUIRE(eventually([&] { return d.supd_output().find("are drained") != std::string::npos; }, 30s));
  if (kRssMeasuresUse) CHECK(rss_kib(supd) < baseline + 32 * 1024);
  d.check_invariants();
}
