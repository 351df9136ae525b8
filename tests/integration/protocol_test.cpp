// The control protocol under bad input, over a raw socket (TESTPLAN R45-R52, R57).
#include <algorithm>
#include <random>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr const char* kProtocolConfig = R"(
[jobs.j]
command = ["sleep", "1000"]
)";

json status_request(int id) { return {{"id", id}, {"method", "status"}, {"params", json::object()}}; }

// A valid request answered on `c` proves the connection (and supd) still work.
void check_still_answers(RawClient& c, int id) {
  const auto resp = c.request(status_request(id));
  REQUIRE(resp);
  INFO(resp->dump());
  CHECK((*resp)["id"] == id);
  CHECK((*resp)["ok"] == true);
  CHECK((*resp)["result"]["jobs"].is_array());
}

void check_error(const std::optional<json>& resp) {
  REQUIRE(resp);
  INFO(resp->dump());
  CHECK((*resp)["ok"] == false);
  REQUIRE((*resp)["error"].is_object());
  CHECK((*resp)["error"]["code"].is_string());
  CHECK_FALSE((*resp)["error"]["code"].get<std::string>().empty());
  CHECK((*resp)["error"]["message"].is_string());
  CHECK_FALSE(resp->contains("result"));
}

// Drops what changes from one call to the next (uptime), so responses compare equal.
json normalized(json j) {
  if (j.is_object()) {
    j.erase("uptime_s");
    for (auto& [k, v] : j.items()) v = normalized(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = normalized(v);
  }
  return j;
}

}  // namespace

TEST_CASE("a malformed request gets an error and the connection still answers", "[integration][protocol][R46]") {
  TestDaemon d(kProtocolConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  RawClient c(d.socket());
  REQUIRE(c.connected());
  REQUIRE(c.send("this is not json\n"));
  const auto resp = c.read_json();
  check_error(resp);
  CHECK((*resp)["id"].is_null());
  CHECK((*resp)["error"]["code"] == "bad_request");
  check_still_answers(c, 2);
  CHECK(d.ctl({"status"}).exit_code == kOk);  // and other clients are served
  c.close();
  d.finish();
}

TEST_CASE("R45 hello names the protocol version and refuses an unsupported one", "[integration][protocol][R45]") {
  TestDaemon d(kProtocolConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  RawClient c(d.socket());
  REQUIRE(c.connected());
  const auto hello = c.request({{"id", 1}, {"method", "hello"}, {"params", {{"protocol", 1}}}});
  REQUIRE(hello);
  INFO(hello->dump());
  CHECK((*hello)["id"] == 1);
  CHECK((*hello)["ok"] == true);
  CHECK((*hello)["result"]["protocol"] == 1);
  CHECK((*hello)["result"]["version"].is_string());

  const auto future = c.request({{"id", 2}, {"method", "hello"}, {"params", {{"protocol", 999}}}});
  check_error(future);
  CHECK((*future)["id"] == 2);
  CHECK((*future)["error"]["code"] == "version_mismatch");
  check_still_answers(c, 3);
  c.close();
  d.finish();
}

TEST_CASE("R46 broken lines get one error response each", "[integration][protocol][R46]") {
  TestDaemon d(kProtocolConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  RawClient c(d.socket());
  REQUIRE(c.connected());
  int id = 100;
  for (const char* line : {"{\"id\":1,", "[]", "null", "42", "{} trailing garbage", "", "\"just a string\"", "{\"id\":1}"}) {
    INFO("line: '" << line << "'");
    // The broken line and a valid request in one write: the first answer must be the error.
    REQUIRE(c.send(std::string(line) + "\n" + status_request(id).dump() + "\n"));
    const auto err = c.read_json();
    check_error(err);
    const auto ok = c.read_json();
    REQUIRE(ok);
    CHECK((*ok)["id"] == id);
    CHECK((*ok)["ok"] == true);
    ++id;
  }
  // CRLF endings: one response, then the connection goes on.
  REQUIRE(c.send(status_request(50).dump() + "\r\n"));
  const auto crlf = c.read_json();
  REQUIRE(crlf);
  INFO(crlf->dump());
  CHECK((*crlf)["id"] == 50);
  check_still_answers(c, 51);
  c.close();
  d.finish();
}

TEST_CASE("R47 bad ids and types and unknown fields and duplicate keys and deep nesting", "[integration][protocol][R47]") {
  TestDaemon d(kProtocolConfig);
  const pid_t job = d.wait_running("j");
  REQUIRE(job > 0);
  d.record_fd_baseline();
  RawClient c(d.socket());
  REQUIRE(c.connected());

  SECTION("no id") {
    REQUIRE(c.send(R"({"method":"status","params":{}})" "\n"));
    const auto r = c.read_json();
    check_error(r);
    CHECK(contains((*r)["error"]["message"].get<std::string>(), "id"));
  }
  SECTION("id as an object") {
    REQUIRE(c.send(R"({"id":{"a":1},"method":"status","params":{}})" "\n"));
    const auto r = c.read_json();
    check_error(r);
    CHECK((*r)["id"].is_null());
  }
  SECTION("wrong argument types") {
    REQUIRE(c.send(R"({"id":3,"method":"stop","params":{"jobs":"j"}})" "\n"));
    const auto r = c.read_json();
    check_error(r);
    CHECK((*r)["id"] == 3);
    CHECK((*r)["error"]["code"] == "bad_request");
    REQUIRE(c.send(R"({"id":4,"method":"signal","params":{"job":5,"signal":"USR1"}})" "\n"));
    const auto r2 = c.read_json();
    check_error(r2);
    CHECK((*r2)["id"] == 4);
    REQUIRE(c.send(R"({"id":5,"method":"status","params":[]})" "\n"));
    check_error(c.read_json());
    CHECK(d.job_pid("j") == job);  // nothing was stopped
  }
  SECTION("unknown fields are ignored") {
    REQUIRE(c.send(R"({"id":6,"method":"status","params":{"zzz":1},"extra":[1,2]})" "\n"));
    const auto r = c.read_json();
    REQUIRE(r);
    CHECK((*r)["id"] == 6);
    CHECK((*r)["ok"] == true);
  }
  SECTION("duplicate keys") {
    REQUIRE(c.send(R"({"id":7,"id":8,"method":"status","params":{}})" "\n"));
    const auto r = c.read_json();
    REQUIRE(r);
    CHECK(r->contains("ok"));
  }
  SECTION("nesting depth 10000") {
    const std::string deep = std::string(10000, '[') + std::string(10000, ']');
    REQUIRE(c.send(R"({"id":9,"method":"status","params":{"x":)" + deep + "}}\n"));
    const auto r = c.read_json();
    REQUIRE(r);
    CHECK(r->contains("ok"));
  }
  check_still_answers(c, 99);
  c.close();
  d.finish();
}

TEST_CASE("R48 unknown verbs get unknown_method", "[integration][protocol][R48]") {
  TestDaemon d(kProtocolConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  RawClient c(d.socket());
  REQUIRE(c.connected());
  int id = 1;
  for (const char* verb : {"nope", "STATUS", "__proto__", "system.multicall", "status.__class__", ""}) {
    INFO("method '" << verb << "'");
    const auto r = c.request({{"id", id}, {"method", verb}, {"params", json::object()}});
    check_error(r);
    CHECK((*r)["id"] == id);
    CHECK((*r)["error"]["code"] == "unknown_method");
    ++id;
  }
  check_still_answers(c, 100);
  c.close();
  d.finish();
}

TEST_CASE("R49 a line one byte over the limit gets too_large and the next request is answered",
          "[integration][protocol][R49]") {
  TestDaemon d(kProtocolConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  RawClient c(d.socket());
  REQUIRE(c.connected());
  constexpr std::size_t kLimit = 1 << 20;
  const std::string head = R"({"id":1,"method":"status","params":{"pad":")";
  const std::string tail = R"("}})";
  const std::string line = head + std::string(kLimit + 1 - head.size() - tail.size(), 'x') + tail;
  REQUIRE(line.size() == kLimit + 1);
  REQUIRE(c.send(line + "\n"));
  const auto r = c.read_json(30s);
  check_error(r);
  CHECK((*r)["error"]["code"] == "too_large");
  check_still_answers(c, 2);
  c.close();
  d.finish();
}

TEST_CASE("R50 half a request then EOF executes nothing", "[integration][protocol][R50]") {
  TestDaemon d(kProtocolConfig);
  const pid_t job = d.wait_running("j");
  REQUIRE(job > 0);
  d.record_fd_baseline();
  {
    RawClient c(d.socket());
    REQUIRE(c.connected());
    REQUIRE(c.send(R"({"id":1,"method":"stop","params":{"jobs":["j"]})"));
    c.shutdown_write();
    CHECK(c.wait_closed());  // supd closes its end
    CHECK_FALSE(contains(c.buffered(), "\"ok\":true"));
  }
  CHECK(d.state("j") == "running");
  CHECK(d.job_pid("j") == job);
  d.finish();
}

TEST_CASE("R51 requests written byte by byte or in random chunks get the same answers", "[integration][protocol][R51]") {
  TestDaemon d(kProtocolConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  const std::vector<json> requests = {
      {{"id", 1}, {"method", "hello"}, {"params", {{"protocol", 1}}}},
      status_request(2),
      {{"id", 3}, {"method", "pid"}, {"params", {{"job", "j"}}}},
      {{"id", 4}, {"method", "status"}, {"params", {{"jobs", {"j"}}}}},
      {{"id", 5}, {"method", "pid"}, {"params", {{"job", "nosuch"}}}},
  };
  std::string bytes;
  for (const auto& r : requests) bytes += r.dump() + "\n";

  auto collect = [&](RawClient& c) {
    std::vector<json> out;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      auto r = c.read_json();
      if (!r) break;
      out.push_back(normalized(*r));
    }
    return out;
  };
  RawClient whole(d.socket());
  REQUIRE(whole.connected());
  REQUIRE(whole.send(bytes));
  const auto expected = collect(whole);
  REQUIRE(expected.size() == requests.size());

  RawClient bytewise(d.socket());
  REQUIRE(bytewise.connected());
  REQUIRE(bytewise.send_chunked(bytes, [] { return std::size_t{1}; }));
  CHECK(collect(bytewise) == expected);

  std::mt19937 rng(4242);
  std::uniform_int_distribution<std::size_t> size(1, 143);
  RawClient chunked(d.socket());
  REQUIRE(chunked.connected());
  REQUIRE(chunked.send_chunked(bytes, [&] { return size(rng); }));
  CHECK(collect(chunked) == expected);
  whole.close();
  bytewise.close();
  chunked.close();
  d.finish();
}

TEST_CASE("R52 a thousand requests in one write get a thousand answers in order", "[integration][protocol][R52]") {
  TestDaemon d(kProtocolConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  RawClient c(d.socket());
  REQUIRE(c.connected());
  std::string bytes;
  for (int i = 1; i <= 1000; ++i)
    bytes += json{{"id", i}, {"method", i % 2 ? "status" : "pid"}, {"params", {{"job", "j"}, {"jobs", {"j"}}}}}.dump() +
             "\n";
  REQUIRE(c.send(bytes));
  int answered = 0;
  bool in_order = true, all_ok = true;
  for (int i = 1; i <= 1000; ++i) {
    const auto r = c.read_json(30s);
    if (!r) break;
    ++answered;
    if ((*r)["id"] != i) in_order = false;
    if ((*r)["ok"] != true) all_ok = false;
  }
  CHECK(answered == 1000);
  CHECK(in_order);
  CHECK(all_ok);
  c.close();
  d.finish();
}

TEST_CASE("R57 invalid job names get an error and open no file", "[integration][protocol][R57]") {
  TestDaemon d(kProtocolConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  const auto logs_before = [&] {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(d.log_dir())) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  };
  const auto before = logs_before();
  RawClient c(d.socket());
  REQUIRE(c.connected());
  const std::vector<std::string> names = {"a/b", ".", "..", "", std::string("a\0b", 3), std::string(10240, 'a'), "-x",
                                          "../../etc/passwd"};
  int id = 1;
  for (const auto& name : names) {
    const std::vector<json> requests = {
        {{"id", id}, {"method", "status"}, {"params", {{"jobs", {name}}}}},
        {{"id", id + 1}, {"method", "start"}, {"params", {{"jobs", {name}}}}},
        {{"id", id + 2}, {"method", "stop"}, {"params", {{"jobs", {name}}}}},
        {{"id", id + 3}, {"method", "signal"}, {"params", {{"job", name}, {"signal", "USR1"}}}},
        {{"id", id + 4}, {"method", "pid"}, {"params", {{"job", name}}}},
    };
    for (const auto& req : requests) {
      INFO(req.dump().substr(0, 200));
      const auto r = c.request(req);
      check_error(r);
      CHECK((*r)["id"] == req["id"]);
      const auto code = (*r)["error"]["code"].get<std::string>();
      if (name.find('\0') == std::string::npos)  // a NUL may fail earlier, as a bad request
        CHECK((code == "invalid_name" || code == "unknown_job"));
    }
    id += 5;
  }
  check_still_answers(c, 999);
  CHECK(logs_before() == before);
  CHECK_FALSE(fs::exists(d.dir() / "b.out"));

  // supctl may refuse an impossible name itself (usage, 2) or let supd refuse it (1); either
  // way `-x` after `--` is a name, not an option.
  const auto dashed = d.ctl({"stop", "--", "-x"});
  INFO(dashed.out << dashed.err);
  CHECK((dashed.exit_code == kRefused || dashed.exit_code == kUsage));
  CHECK(is_one_line(dashed.err));
  CHECK(contains(dashed.err, "-x"));
  const auto slash = d.ctl({"start", "a/b"});
  INFO(slash.out << slash.err);
  CHECK((slash.exit_code == kRefused || slash.exit_code == kUsage));
  CHECK(is_one_line(slash.err));
  CHECK(contains(slash.err, "a/b"));
  c.close();
  d.finish();
}

TEST_CASE("R53 a client that asks for a big status and hangs up at once costs supd nothing",
          "[integration][protocol][R53]") {
  std::string config = "[defaults]\nautostart = false\n";
  for (int i = 1; i <= 1000; ++i) config += "[jobs.j" + std::to_string(i) + "]\ncommand = [\"sleep\", \"1000\"]\n";
  TestDaemon d(config);
  d.record_fd_baseline();
  for (int i = 0; i < 50; ++i) {
    RawClient c(d.socket());
    REQUIRE(c.connected());
    REQUIRE(c.send(status_request(i).dump() + "\n"));
    c.close();  // before a byte of the (>100 KiB) answer was read: supd's writes get EPIPE
  }
  CHECK(d.running());  // no SIGPIPE death
  // Every connection released (check_invariants compares with the baseline).
  CHECK(eventually([&] { return fd_census(d.pid()).connections == 0; }));
  RawClient after(d.socket());
  REQUIRE(after.connected());
  check_still_answers(after, 1);
  after.close();
  d.finish();
}
