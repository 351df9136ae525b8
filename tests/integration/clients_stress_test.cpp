// Many clients at once (TESTPLAN R55, R56): slow ones that never finish a request, and busy
// ones that pipeline work. Tagged [stress]: ctest runs them alone, under the label `stress`.
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <random>
#include <thread>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

std::string jobs_config(int n) {
  std::string config = "[defaults]\nstart_secs = 0\nstop_timeout = \"5s\"\n";
  for (int i = 1; i <= n; ++i) config += "[jobs.j" + std::to_string(i) + "]\ncommand = [\"sleep\", \"1000\"]\n";
  return config;
}

}  // namespace

// 128 connections per uid (kMaxConnectionsPerUid): the 72 beyond it each close the oldest
// dripping connection; the 128 left are closed by the 10 s request deadline.
TEST_CASE("R55 two hundred clients dripping one byte every 2 s are closed and status keeps working",
          "[integration][stress][R55]") {
  constexpr int kCap = 128;
  TestDaemon d(jobs_config(2));
  REQUIRE(d.wait_running("j2") > 0);
  d.record_fd_baseline();
  constexpr int kClients = 200;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(d.socket()));
    REQUIRE(clients.back()->connected());
  }
  const std::string request = R"({"id":1,"method":"status","params":{}})" "\n";
  std::atomic<bool> stop{false};
  std::atomic<int> sent_bytes{0};
  // One byte to each client every 2 s; a request takes ~80 s to finish this way.
  std::thread dripper([&] {
    for (std::size_t pos = 0; pos < request.size() && !stop; ++pos) {
      for (auto& c : clients)
        if (c->send(std::string_view(request).substr(pos, 1))) ++sent_bytes;
      const Deadline next(2s);
      while (!next.passed() && !stop) std::this_thread::sleep_for(50ms);  // the drip's pace, not a wait
    }
  });
  // supctl status keeps working while they drip, and each dripping client is closed with an
  // error before it could finish its request.
  int status_ok = 0, status_runs = 0;
  const bool all_closed = eventually(
      [&] {
        ++status_runs;
        if (d.ctl({"status"}, 10s).exit_code == kOk) ++status_ok;
        for (auto& c : clients)
          if (c->connected() && !c->wait_closed(1ms)) return false;
        return true;
      },
      60s);
  stop = true;
  dripper.join();
  INFO("status answered " << status_ok << " of " << status_runs << " times; bytes dripped " << sent_bytes);
  CHECK(all_closed);
  CHECK(status_ok == status_runs);
  // Every one got an error line: the cap's (it was evicted for a newer connection) or the
  // request deadline's.
  int with_error = 0, evicted = 0, timed_out = 0;
  for (auto& c : clients) {
    const auto line = c->buffered().substr(0, c->buffered().find('\n'));
    const auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j["ok"] == false && j["error"]["code"].is_string()) {
      ++with_error;
      if (j["error"]["code"] == "too_many_connections") ++evicted;
      if (j["error"]["code"] == "bad_request") ++timed_out;
    }
    c->close();
  }
  INFO("evicted at the cap: " << evicted << ", closed by the request deadline: " << timed_out);
  CHECK(with_error == kClients);
  CHECK(evicted + timed_out == kClients);
  // At least those beyond the cap; each supctl status at the cap evicts one more.
  CHECK(evicted >= kClients - kCap);
  CHECK(timed_out > 0);
  CHECK(eventually([&] { return contains(d.supd_output(), "is well below its connection cap again"); }));
  CHECK(d.ctl({"status"}).exit_code == kOk);
  d.finish();
}

TEST_CASE("R56 a hundred clients times a hundred requests are all answered and leave no fd behind",
          "[integration][stress][R56]") {
  // The sanitizer build sends a quarter of the requests (the normal build all of them): as
  // many clients at once, a quarter of the time.
  constexpr int kJobs = 50, kClients = 100, kRequests = kSanitizerBuild ? 25 : 100;
  TestDaemon d(jobs_config(kJobs));
  REQUIRE(eventually([&] {
    const auto st = d.status_json();
    if (!st) return false;
    for (const auto& j : (*st)["jobs"])
      if (j["state"] != "running") return false;
    return (*st)["jobs"].size() == kJobs;
  }, 60s));
  d.record_fd_baseline();
  std::atomic<int> answered{0}, wrong_id{0}, lost{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      RawClient c(d.socket());
      if (!c.connected()) {
        lost += kRequests;
        return;
      }
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < kRequests; ++i) {
        const int id = t * 1000 + i;
        const std::string job = "j" + std::to_string(1 + rng() % kJobs);
        json req{{"id", id}, {"params", json::object()}};
        switch (rng() % 3) {
        case 0: req["method"] = "status"; break;
        case 1: req["method"] = "start"; req["params"]["jobs"] = {job}; break;
        default: req["method"] = "stop"; req["params"]["jobs"] = {job}; break;
        }
        const auto r = c.request(req, 120s);
        if (!r) {
          lost += kRequests - i;
          return;
        }
        ++answered;
        if ((*r)["id"] != id) ++wrong_id;
      }
    });
  }
  for (auto& th : threads) th.join();
  INFO("answered " << answered << ", wrong id " << wrong_id << ", lost " << lost);
  CHECK(answered == kClients * kRequests);
  CHECK(wrong_id == 0);
  CHECK(lost == 0);
  // Back to the state of the baseline: every job running, no client connection left.
  const auto all = d.ctl({"start", "all"}, 60s);
  INFO(all.out << all.err);
  CHECK(all.exit_code == kOk);
  CHECK(eventually([&] { return fd_census(d.pid()).connections == 0; }));
  const auto ss = run_process({"/usr/bin/ss", "-x", "-p", "state", "close-wait"}, {}, 10s);
  CHECK_FALSE(contains(ss.out, "pid=" + std::to_string(d.pid()) + ","));
  d.finish();
}
