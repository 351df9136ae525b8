#include <csignal>
#include <string>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "common/protocol.hpp"

using namespace supd::protocol;
using nlohmann::json;
using supd::common::ExitStatus;

namespace {

// Decodes a line that must fail; returns its error (and checks it did not throw).
RequestError decode_error(std::string_view line) {
  std::variant<Request, RequestError> r;
  REQUIRE_NOTHROW(r = decode_request(line));
  REQUIRE(std::holds_alternative<RequestError>(r));
  return std::get<RequestError>(r);
}

Request decode_ok(std::string_view line) {
  const auto r = decode_request(line);
  if (const auto* e = std::get_if<RequestError>(&r)) FAIL(e->error.message);
  return std::get<Request>(r);
}

bool mentions(const std::string& message, std::string_view word) {
  return message.find(word) != std::string::npos;
}

}  // namespace

TEST_CASE("every command round-trips through encode_request and decode_request", "[protocol]") {
  const std::vector<Command> commands = {
      Hello{},
      Hello{7},
      Status{},
      Status{{"amsa", "web.1"}},
      Start{{"amsa"}, true},
      Start{{"all"}, false},
      Stop{{"a", "b", "c"}, true},
      Stop{{"amsa"}, false},
      Restart{{"amsa"}, true},
      Restart{{"x_y-z"}, false},
      SignalJob{"amsa", "USR1", false},
      SignalJob{"amsa", "RTMIN+2", true},
      Pid{"amsa"},
      Shutdown{},
      Logs{"amsa"},
      Logs{"amsa", 0, true, true, false},
      Logs{"web.1", 500, false, false, false},
      Logs{"", 10, false, false, true},
  };
  std::uint64_t id = 0;
  for (const auto& command : commands) {
    const Request request{id++, command};
    const std::string line = encode_request(request);
    INFO(line);
    REQUIRE(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);  // exactly one line
    CHECK(decode_ok(std::string_view(line).substr(0, line.size() - 1)) == request);
  }
  // The largest id survives too.
  const Request big{UINT64_MAX, Pid{"amsa"}};
  CHECK(decode_ok(encode_request(big)) == big);
}

TEST_CASE("encode_request writes the documented wire form", "[protocol]") {
  CHECK(encode_request({7, SignalJob{"amsa", "USR1", false}}) ==
        "{\"id\":7,\"method\":\"signal\",\"params\":{\"group\":false,\"job\":\"amsa\",\"signal\":\"USR1\"}}\n");
  CHECK(encode_request({1, Shutdown{}}) == "{\"id\":1,\"method\":\"shutdown\",\"params\":{}}\n");
}

TEST_CASE("method_name names every command", "[protocol]") {
  CHECK(method_name(Hello{}) == "hello");
  CHECK(method_name(Status{}) == "status");
  CHECK(method_name(Start{}) == "start");
  CHECK(method_name(Stop{}) == "stop");
  CHECK(method_name(Restart{}) == "restart");
  CHECK(method_name(SignalJob{}) == "signal");
  CHECK(method_name(Pid{}) == "pid");
  CHECK(method_name(Shutdown{}) == "shutdown");
}

TEST_CASE("decode_request fills defaults and ignores unknown fields", "[protocol]") {
  CHECK(decode_ok(R"({"id":1,"method":"status"})") == Request{1, Status{}});
  CHECK(decode_ok(R"({"id":1,"method":"hello","params":{}})") == Request{1, Hello{kProtocolVersion}});
  CHECK(decode_ok(R"({"id":2,"method":"start","params":{"jobs":["a"]}})") == Request{2, Start{{"a"}, true}});
  CHECK(decode_ok(R"({"id":3,"method":"signal","params":{"job":"a","signal":"HUP"}})") ==
        Request{3, SignalJob{"a", "HUP", false}});
  CHECK(decode_ok(R"({"id":4,"method":"shutdown","params":{"leave_running":true},"extra":[1,2]})") ==
        Request{4, Shutdown{true}});
  CHECK(decode_ok(" {\"method\":\"pid\",\"id\":5,\"params\":{\"job\":\"a\",\"x\":null}} ") ==
        Request{5, Pid{"a"}});
}

TEST_CASE("a signal given as a JSON integer becomes its digits", "[protocol]") {
  CHECK(decode_ok(R"({"id":1,"method":"signal","params":{"job":"a","signal":10}})") ==
        Request{1, SignalJob{"a", "10", false}});
  // A negative number is passed on as text; the daemon's parse_signal refuses it.
  CHECK(decode_ok(R"({"id":1,"method":"signal","params":{"job":"a","signal":-1,"group":true}})") ==
        Request{1, SignalJob{"a", "-1", true}});
}

TEST_CASE("malformed request lines get bad_request with no id", "[protocol][R46][R58]") {
  const char* lines[] = {
      R"({"id":1,)", "[]", "null", "42", "\"str\"", "{}", "{} garbage", "", "   ", "\r",
      R"({"method":"status"})",                    // missing id
      R"({"id":{},"method":"status"})",            // id as object
      R"({"id":"1","method":"status"})",           // id as string
      R"({"id":-1,"method":"status"})",            // negative
      R"({"id":1.5,"method":"status"})",           // float
      R"({"id":1.0,"method":"status"})",           // float that looks whole
      R"({"id":1e309,"method":"status"})",         // overflows double
      R"({"id":18446744073709551616,"method":"status"})",  // UINT64_MAX + 1
      R"({"id":null,"method":"status"})",
      R"({"id":true,"method":"status"})",
      "{\"id\":1,\"method\":\"status\"}\n{\"id\":2}",  // two objects on one line
  };
  for (const char* line : lines) {
    INFO('"' << line << '"');
    const auto e = decode_error(line);
    CHECK(e.error.code == ErrorCode::BadRequest);
    CHECK_FALSE(e.id);
    CHECK_FALSE(e.error.message.empty());
  }
  CHECK(mentions(decode_error(R"({"method":"status"})").error.message, "id"));
  CHECK(mentions(decode_error(R"({"id":-1,"method":"status"})").error.message, "id"));
  CHECK(mentions(decode_error(R"({"id":"7","method":"status"})").error.message, "id"));
}

TEST_CASE("unknown methods get unknown_method and keep the id", "[protocol][R48]") {
  const char* lines[] = {
      R"({"id":9,"method":"STATUS"})",
      R"({"id":9,"method":"Status"})",
      R"({"id":9,"method":"__proto__"})",
      R"({"id":9,"method":"system.multicall"})",
      R"({"id":9,"method":""})",
      R"({"id":9,"method":"status "})",
      R"({"id":9,"method":"constructor"})",
      "{\"id\":9,\"method\":\"status\\u0000\"}",
  };
  for (const char* line : lines) {
    INFO(line);
    const auto e = decode_error(line);
    CHECK(e.error.code == ErrorCode::UnknownMethod);
    CHECK(e.id == 9u);
  }
}

TEST_CASE("a missing or mistyped method or params is bad_request with the id", "[protocol]") {
  const char* lines[] = {
      R"({"id":4})",
      R"({"id":4,"method":null})",
      R"({"id":4,"method":7})",
      R"({"id":4,"method":["status"]})",
      R"({"id":4,"method":"status","params":[]})",
      R"({"id":4,"method":"status","params":"x"})",
      R"({"id":4,"method":"status","params":null})",
  };
  for (const char* line : lines) {
    INFO(line);
    const auto e = decode_error(line);
    CHECK(e.error.code == ErrorCode::BadRequest);
    CHECK(e.id == 4u);
  }
}

TEST_CASE("wrong parameter types are bad_request naming the field", "[protocol][R47]") {
  struct Case {
    const char* line;
    const char* field;
  };
  const Case cases[] = {
      {R"({"id":1,"method":"status","params":{"jobs":"amsa"}})", "params.jobs"},
      {R"({"id":1,"method":"status","params":{"jobs":[1]}})", "params.jobs"},
      {R"({"id":1,"method":"status","params":{"jobs":[null]}})", "params.jobs"},
      {R"({"id":1,"method":"start","params":{}})", "params.jobs"},
      {R"({"id":1,"method":"start"})", "params.jobs"},
      {R"({"id":1,"method":"start","params":{"jobs":[]}})", "params.jobs"},
      {R"({"id":1,"method":"stop","params":{"jobs":["a",["b"]]}})", "params.jobs"},
      {R"({"id":1,"method":"restart","params":{"jobs":["a"],"wait":"yes"}})", "params.wait"},
      {R"({"id":1,"method":"restart","params":{"jobs":["a"],"wait":1}})", "params.wait"},
      {R"({"id":1,"method":"signal","params":{"signal":"USR1"}})", "params.job"},
      {R"({"id":1,"method":"signal","params":{"job":"a"}})", "params.signal"},
      {R"({"id":1,"method":"signal","params":{"job":"a","signal":1.5}})", "params.signal"},
      {R"({"id":1,"method":"signal","params":{"job":"a","signal":["USR1"]}})", "params.signal"},
      {R"({"id":1,"method":"signal","params":{"job":"a","signal":"USR1","group":"no"}})", "params.group"},
      {R"({"id":1,"method":"signal","params":{"job":7,"signal":"USR1"}})", "params.job"},
      {R"({"id":1,"method":"pid","params":{}})", "params.job"},
      {R"({"id":1,"method":"pid","params":{"job":null}})", "params.job"},
      {R"({"id":1,"method":"hello","params":{"protocol":"1"}})", "params.protocol"},
      {R"({"id":1,"method":"hello","params":{"protocol":1.5}})", "params.protocol"},
      {R"({"id":1,"method":"hello","params":{"protocol":99999999999}})", "params.protocol"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    const auto e = decode_error(c.line);
    CHECK(e.error.code == ErrorCode::BadRequest);
    CHECK(e.id == 1u);
    CHECK(mentions(e.error.message, c.field));
  }
  CHECK(decode_error(R"({"id":1,"method":"status","params":{"jobs":5}})").error.message ==
        "params.jobs must be an array of strings");
}

TEST_CASE("a NUL inside a job name is refused, never truncated", "[protocol][R58]") {
  for (const char* line : {"{\"id\":1,\"method\":\"pid\",\"params\":{\"job\":\"amsa\\u0000x\"}}",
                           "{\"id\":1,\"method\":\"stop\",\"params\":{\"jobs\":[\"amsa\\u0000\"]}}",
                           "{\"id\":1,\"method\":\"signal\",\"params\":{\"job\":\"a\",\"signal\":\"USR1\\u0000\"}}"}) {
    INFO(line);
    const auto e = decode_error(line);
    CHECK((e.error.code == ErrorCode::BadRequest || e.error.code == ErrorCode::InvalidName));
    CHECK(e.id == 1u);
  }
}

TEST_CASE("duplicate keys do not crash (the last one wins)", "[protocol][R47]") {
  const auto r = decode_request(R"({"id":1,"id":2,"method":"pid","method":"status"})");
  REQUIRE(std::holds_alternative<Request>(r));
  CHECK(std::get<Request>(r) == Request{2, Status{}});
}

TEST_CASE("deep nesting is refused before the recursive parser sees it", "[protocol][R47]") {
  const std::string deep_array = std::string(10000, '[') + std::string(10000, ']');
  CHECK(decode_error(deep_array).error.code == ErrorCode::BadRequest);
  std::string deep_params = R"({"id":1,"method":"status","params":{"x":)";
  for (int i = 0; i < 10000; ++i) deep_params += "{\"a\":";
  deep_params += "1" + std::string(10000, '}') + "}}";
  CHECK(decode_error(deep_params).error.code == ErrorCode::BadRequest);
  // Unbalanced openers only: still refused, never parsed.
  CHECK(decode_error(std::string(10000, '{')).error.code == ErrorCode::BadRequest);
  // Brackets inside strings are text, not nesting.
  const std::string in_string = R"({"id":1,"method":"pid","params":{"job":")" + std::string(200, '[') + "\\\"" +
                                std::string(200, '{') + R"("}})";
  const auto r = decode_request(in_string);
  REQUIRE(std::holds_alternative<Request>(r));
  CHECK(std::get<Pid>(std::get<Request>(r).command).job == std::string(200, '[') + "\"" + std::string(200, '{'));
}

TEST_CASE("invalid UTF-8 never makes the codec throw", "[protocol][R58]") {
  const std::string bad = "amsa\xff\xfe\xc3";
  const std::string line = "{\"id\":1,\"method\":\"pid\",\"params\":{\"job\":\"" + bad + "\"}}";
  std::variant<Request, RequestError> r;
  REQUIRE_NOTHROW(r = decode_request(line));
  if (const auto* e = std::get_if<RequestError>(&r)) CHECK(e->error.code == ErrorCode::BadRequest);

  std::string out;
  REQUIRE_NOTHROW(out = encode_request({1, Pid{bad}}));
  CHECK(std::holds_alternative<Request>(decode_request(out)));
  REQUIRE_NOTHROW(out = encode_error(1, {ErrorCode::UnknownJob, "no job named '" + bad + "'"}));
  CHECK(std::holds_alternative<Response>(decode_response(out)));
  REQUIRE_NOTHROW(out = encode_response({2, json{{"line", bad}}}));
  CHECK(std::holds_alternative<Response>(decode_response(out)));
}

TEST_CASE("an oversized request line is too_large", "[protocol][R49]") {
  const std::string line = R"({"id":1,"method":"pid","params":{"job":")" + std::string(kMaxLineBytes, 'a') + "\"}}";
  CHECK(decode_error(line).error.code == ErrorCode::TooLarge);
}

TEST_CASE("responses have the documented shape and round-trip", "[protocol]") {
  const std::string ok = encode_response({7, json{{"pid", 4242}}});
  CHECK(ok == "{\"id\":7,\"ok\":true,\"result\":{\"pid\":4242}}\n");
  const auto r = decode_response(ok);
  REQUIRE(std::holds_alternative<Response>(r));
  CHECK(std::get<Response>(r).id == 7);
  REQUIRE(std::get<Response>(r).ok());
  CHECK(std::get<json>(std::get<Response>(r).body) == json{{"pid", 4242}});

  const Error err{ErrorCode::UnknownJob, "no job named 'amsa'"};
  const std::string bad = encode_response({8, err});
  CHECK(bad == "{\"id\":8,\"ok\":false,\"error\":{\"code\":\"unknown_job\",\"message\":\"no job named 'amsa'\"}}\n");
  CHECK(encode_error(8, err) == bad);
  const auto r2 = decode_response(bad);
  REQUIRE(std::holds_alternative<Response>(r2));
  CHECK(std::get<Response>(r2).id == 8);
  CHECK(std::get<Error>(std::get<Response>(r2).body) == err);
}

TEST_CASE("every error code round-trips through its wire name", "[protocol]") {
  const ErrorCode all[] = {ErrorCode::BadRequest,       ErrorCode::UnknownMethod, ErrorCode::UnknownJob,
                           ErrorCode::InvalidName,      ErrorCode::InvalidSignal, ErrorCode::NotRunning,
                           ErrorCode::StartFailed,      ErrorCode::StopFailed,    ErrorCode::PermissionDenied,
                           ErrorCode::VersionMismatch,  ErrorCode::TooLarge,      ErrorCode::ShuttingDown,
                           ErrorCode::Internal,         ErrorCode::TooManyConnections};
  for (const auto code : all) {
    const auto name = wire_name(code);
    INFO(name);
    CHECK(error_code_from_wire(name) == code);
    const auto r = decode_response(encode_error(3, {code, "m"}));
    REQUIRE(std::holds_alternative<Response>(r));
    CHECK(std::get<Error>(std::get<Response>(r).body).code == code);
  }
  CHECK(wire_name(ErrorCode::BadRequest) == "bad_request");
  CHECK(wire_name(ErrorCode::PermissionDenied) == "permission_denied");
  CHECK(wire_name(ErrorCode::ShuttingDown) == "shutting_down");
  CHECK_FALSE(error_code_from_wire("BadRequest"));
  CHECK_FALSE(error_code_from_wire(""));
}

TEST_CASE("an error for an unreadable request carries id null", "[protocol]") {
  const std::string line = encode_error(std::nullopt, {ErrorCode::BadRequest, "request is not valid JSON"});
  CHECK(line == "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"request is not valid JSON\"}}\n");
  const auto r = decode_response(line);
  REQUIRE(std::holds_alternative<Error>(r));
  CHECK(std::get<Error>(r) == Error{ErrorCode::BadRequest, "request is not valid JSON"});
}

TEST_CASE("decode_response refuses malformed lines without throwing", "[protocol]") {
  const char* lines[] = {"", "{", "[]", "null", "{}", R"({"id":1})", R"({"id":1,"ok":"true","result":{}})",
                         R"({"id":1,"ok":true})", R"({"id":-1,"ok":true,"result":{}})",
                         R"({"id":1,"ok":false})", R"({"id":1,"ok":false,"error":"boom"})",
                         R"({"id":1,"ok":false,"error":{"message":"x"}})", R"({"ok":true,"result":{}})"};
  for (const char* line : lines) {
    INFO(line);
    std::variant<Response, Error> r;
    REQUIRE_NOTHROW(r = decode_response(line));
    CHECK(std::holds_alternative<Error>(r));
  }
  std::variant<Response, Error> deep;
  REQUIRE_NOTHROW(deep = decode_response(std::string(10000, '[')));
  CHECK(std::holds_alternative<Error>(deep));
  // A code this client does not know yet is kept as internal, with its message.
  const auto r = decode_response(R"({"id":1,"ok":false,"error":{"code":"from_the_future","message":"m"}})");
  REQUIRE(std::holds_alternative<Response>(r));
  CHECK(std::get<Error>(std::get<Response>(r).body) == Error{ErrorCode::Internal, "m"});
}

TEST_CASE("JobStatus round-trips through JSON", "[protocol]") {
  const std::vector<JobStatus> jobs = {
      {"amsa", "running", 4242, 12.5, 0, std::nullopt, std::nullopt},
      {"web", "exited", std::nullopt, std::nullopt, 3, ExitStatus::exited(3), std::nullopt},
      {"crash", "backoff", std::nullopt, std::nullopt, 1, ExitStatus::killed(SIGSEGV, true), std::nullopt},
      {"rt", "stopped", std::nullopt, std::nullopt, 0, ExitStatus::killed(SIGRTMIN + 3), std::nullopt},
      {"odd", "stopped", std::nullopt, std::nullopt, 0, ExitStatus::killed(32), std::nullopt},
      {"broken", "fatal", std::nullopt, std::nullopt, 0, std::nullopt,
       "exec amsa.py: No such file or directory"},
  };
  for (const auto& job : jobs) {
    INFO(job.name);
    const json j = to_json(job);
    CHECK(job_status_from_json(j) == job);
    CHECK(job_status_from_json(json::parse(j.dump())) == job);
  }
  CHECK(parse_jobs_result(jobs_result(jobs)) == jobs);
  CHECK(parse_jobs_result(jobs_result({})) == std::vector<JobStatus>{});
}

TEST_CASE("JobStatus JSON has the documented shape", "[protocol]") {
  const json j = to_json({"crash", "backoff", std::nullopt, std::nullopt, 2, ExitStatus::killed(SIGSEGV, true),
                          std::nullopt});
  const json want = json::parse(R"J({"name":"crash","state":"backoff","pid":null,"uptime_s":null,
      "restarts":2, "last_exit":{"code":null,"signal":"SEGV","core_dumped":true,
                                 "description":"killed by SIGSEGV (core dumped)"},
      "error":null,"next_try_s":null,"health":null})J");
  CHECK(j == want);
  const json e = to_json({"web", "exited", std::nullopt, std::nullopt, 0, ExitStatus::exited(3), std::nullopt});
  CHECK(e["last_exit"] == json::parse(R"({"code":3,"signal":null,"core_dumped":false,"description":"exited 3"})"));
  CHECK(jobs_result({}) == json::parse(R"({"jobs":[]})"));
}

TEST_CASE("job_status_from_json refuses wrong shapes", "[protocol]") {
  const char* docs[] = {
      "null", "[]", R"({"state":"running"})", R"({"name":"a"})", R"({"name":1,"state":"running"})",
      R"({"name":"a","state":"running","pid":"1"})", R"({"name":"a","state":"running","pid":1.5})",
      R"({"name":"a","state":"running","uptime_s":"1"})", R"({"name":"a","state":"running","restarts":-1.5})",
      R"({"name":"a","state":"running","last_exit":{"signal":"FOO"}})",
      R"({"name":"a","state":"running","last_exit":5})", R"({"name":"a","state":"running","error":5})",
  };
  for (const char* doc : docs) {
    INFO(doc);
    CHECK_FALSE(job_status_from_json(json::parse(doc)));
  }
  // code and signal both null: the exit of an adopted job, whose status the kernel did not give.
  const auto adopted = job_status_from_json(
      json::parse(R"({"name":"a","state":"exited","last_exit":{"code":null,"signal":null}})"));
  REQUIRE(adopted);
  CHECK(adopted->last_exit == ExitStatus::unknown_adopted());
  CHECK(to_json(*adopted)["last_exit"]["description"] == "exited, status unknown (adopted)");
  CHECK_FALSE(parse_jobs_result(json::parse(R"({"jobs":[{"name":"a"}]})")));
  CHECK_FALSE(parse_jobs_result(json::parse(R"({"jobs":{}})")));
  CHECK_FALSE(parse_jobs_result(json::parse("[]")));
}

TEST_CASE("job names are [A-Za-z0-9_.-]+, at most 64 bytes", "[protocol][R57]") {
  for (const std::string& name : {std::string("amsa"), std::string("web.1"), std::string("A_b-c"),
                                 std::string("0"), std::string(64, 'x'), std::string("a..b"),
                                 std::string(".hidden")})
    CHECK(is_valid_job_name(name));
  for (const std::string& name : {std::string(), std::string("."), std::string(".."), std::string("-x"),
                                 std::string("a/b"), std::string("a b"), std::string(65, 'x'),
                                 std::string("am\0sa", 5), std::string("caf\xc3\xa9"), std::string("a\n")})
    CHECK_FALSE(is_valid_job_name(name));
}

TEST_CASE("logs: defaults, reopen without a job, and checked line counts", "[protocol][R58]") {
  CHECK(decode_ok(R"({"id":1,"method":"logs","params":{"job":"amsa"}})").command == Command{Logs{"amsa", 10}});
  CHECK(decode_ok(R"({"id":1,"method":"logs","params":{"reopen":true}})").command ==
        Command{Logs{"", 10, false, false, true}});
  CHECK(decode_ok(R"({"id":1,"method":"logs","params":{"job":"a","lines":3,"follow":true,"stderr":true}})")
            .command == Command{Logs{"a", 3, true, true, false}});
  CHECK(method_name(Logs{}) == "logs");
  CHECK(decode_error(R"({"id":1,"method":"logs","params":{}})").error.code == ErrorCode::BadRequest);
  CHECK(mentions(decode_error(R"({"id":1,"method":"logs","params":{"job":"a","lines":-1}})").error.message,
                 "params.lines"));
  CHECK(decode_error(R"({"id":1,"method":"logs","params":{"job":"a","lines":"5"}})").error.code ==
        ErrorCode::BadRequest);
  CHECK(decode_error(R"({"id":1,"method":"logs","params":{"job":"a","lines":99999999999}})").error.code ==
        ErrorCode::BadRequest);
}

TEST_CASE("reload, run and persist round-trip and check their fields", "[protocol]") {
  Run run{"web", {"python3", "-m", "http.server"}, "/srv/www", {{"A", "1"}, {"B", "x y"}}, "always", "web.log",
          false};
  const std::vector<Command> commands = {Reload{}, Reload{true}, run, Run{"x", {"true"}, "/", {}, {}, {}, true},
                                         Persist{"web"}};
  for (const auto& command : commands) {
    const Request request{9, command};
    const auto line = encode_request(request);
    INFO(line);
    CHECK(decode_ok(line) == request);
  }
  CHECK(method_name(Reload{}) == "reload");
  CHECK(method_name(Run{}) == "run");
  CHECK(method_name(Persist{}) == "persist");
  CHECK(decode_ok(R"({"id":1,"method":"reload"})") == Request{1, Reload{false}});
  CHECK(mentions(decode_error(R"({"id":1,"method":"run","params":{"name":"a","command":[],"directory":"/"}})")
                     .error.message,
                 "params.command"));
  CHECK(mentions(decode_error(R"({"id":1,"method":"run","params":{"name":"a","command":["x"]}})").error.message,
                 "params.directory"));
  CHECK(mentions(decode_error(R"({"id":1,"method":"run","params":{"name":"a","command":["x"],"directory":"/",)"
                              R"("environment":{"A=B":"1"}}})")
                     .error.message,
                 "params.environment"));
  CHECK(mentions(decode_error(R"({"id":1,"method":"persist","params":{}})").error.message, "params.job"));
  CHECK(wire_name(ErrorCode::JobExists) == "job_exists");
  CHECK(error_code_from_wire("config_error") == ErrorCode::ConfigError);
}

TEST_CASE("export round-trips with its format and job list", "[protocol]") {
  const Request request{4, Export{"systemd", {"api", "all"}}};
  CHECK(decode_ok(encode_request(request)) == request);
  CHECK(method_name(Export{}) == "export");
  CHECK(mentions(decode_error(R"({"id":1,"method":"export","params":{"format":"systemd","jobs":[]}})").error.message,
                 "params.jobs"));
  CHECK(mentions(decode_error(R"({"id":1,"method":"export","params":{"jobs":["api"]}})").error.message,
                 "params.format"));
  const Export::Reply reply{{{"api", "api.service", "[Unit]\n"}}};
  CHECK(Export::Reply::from_json(reply.to_json()) == reply);
  CHECK_FALSE(Export::Reply::from_json(nlohmann::json{{"units", "x"}}));
}

TEST_CASE("stats round-trips, with each job's last line and supd's own pid and uptime when asked", "[protocol]") {
  for (const auto& command : {Command{Stats{{"api"}, false}}, Command{Stats{{}, true}}}) {
    const Request request{5, command};
    CHECK(decode_ok(encode_request(request)) == request);
  }
  // An older supctl's request (no last_line) still decodes.
  CHECK(decode_ok(R"({"id":1,"method":"stats","params":{"jobs":[]}})").command == Command{Stats{}});
  JobStats row;
  row.name = "api";
  row.state = "running";
  row.pid = 42;
  row.processes = 2;
  row.last_line = "GET / 200";
  Stats::Reply reply{{row}, SupdStats{7, 12.5}};
  CHECK(Stats::Reply::from_json(reply.to_json()) == reply);
  // A first supd with stats sends neither: both stay unset.
  row.last_line.reset();
  reply = Stats::Reply{{row}};
  const auto plain = reply.to_json();
  CHECK_FALSE(plain.contains("supd"));
  CHECK_FALSE(plain["jobs"][0].contains("last_line"));
  CHECK(Stats::Reply::from_json(plain) == reply);
}

TEST_CASE("remove round-trips and waits unless told not to", "[protocol]") {
  for (const auto& command : {Command{Remove{"web", true}}, Command{Remove{"web", false}}}) {
    const Request request{3, command};
    CHECK(decode_ok(encode_request(request)) == request);
  }
  CHECK(method_name(Remove{}) == "remove");
  CHECK(decode_ok(R"({"id":1,"method":"remove","params":{"job":"web"}})") == Request{1, Remove{"web", true}});
  CHECK(mentions(decode_error(R"({"id":1,"method":"remove","params":{}})").error.message, "params.job"));
  CHECK(Remove::Reply::from_json(Remove::Reply{"web", true}.to_json()) == Remove::Reply{"web", true});
  // persist's from_defaults: absent from an older supd's reply, which still reads.
  const auto old_reply = Persist::Reply::from_json(nlohmann::json{{"job", "web"}, {"config", "/c"}, {"created", false}});
  REQUIRE(old_reply);
  CHECK(old_reply->from_defaults.empty());
  const Persist::Reply with{"web", "/c", false, {{"stop_timeout", "10s", "30s", false}}};
  CHECK(Persist::Reply::from_json(with.to_json()) == with);
}

TEST_CASE("a logs piece that says bytes were skipped round-trips and stands alone", "[protocol]") {
  const Logs::Reply skipped{std::nullopt, std::nullopt, false, true, 4096};
  CHECK(skipped.to_json() == nlohmann::json{{"skipped", 4096}, {"more", true}});
  CHECK(Logs::Reply::from_json(skipped.to_json()) == skipped);
  const Logs::Reply text{"a\n", std::nullopt, false, true};
  CHECK_FALSE(text.to_json().contains("skipped"));
  CHECK_FALSE(Logs::Reply::from_json(nlohmann::json{{"more", true}}).has_value());  // carries nothing
}

TEST_CASE("JobStatus carries an optional origin", "[protocol]") {
  JobStatus s;
  s.name = "web";
  s.state = "running";
  CHECK_FALSE(to_json(s).contains("origin"));
  s.origin = "run";
  CHECK(to_json(s)["origin"] == "run");
  CHECK(job_status_from_json(to_json(s)) == s);
}

TEST_CASE("a reply that fits one frame is the line it always was", "[protocol][frames][R90]") {
  std::vector<JobStatus> jobs;
  for (int i = 0; i < 50; ++i) jobs.push_back({"job" + std::to_string(i), "running", 100 + i, 1.5, 0, std::nullopt, std::nullopt});
  const json result = jobs_result(jobs);
  const auto frames = encode_frames(7, result, "jobs");
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == encode_response({7, result}));
  CHECK(frames[0].find("\"more\"") == std::string::npos);
}

TEST_CASE("a long reply spans frames under the budget that merge back into one result", "[protocol][frames][R90]") {
  json result = {{"applied", true}, {"errors", json::array()}, {"jobs", json::array()}};
  for (int i = 0; i < 2000; ++i) result["jobs"].push_back({{"name", "job" + std::to_string(i)}, {"change", "added"}});
  constexpr std::size_t kBudget = 4096;
  const auto frames = encode_frames(9, result, "jobs", kBudget);
  REQUIRE(frames.size() > 10);
  json whole = json::object();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].size() < kBudget + 200);  // the budget, plus the envelope
    CHECK(frames[i].back() == '\n');
    const auto decoded = decode_response(frames[i]);
    REQUIRE(std::holds_alternative<Response>(decoded));
    const auto& r = std::get<Response>(decoded);
    CHECK(r.id == 9);
    REQUIRE(r.ok());
    const auto& part = std::get<json>(r.body);
    CHECK(has_more(part) == (i + 1 < frames.size()));  // every frame but the last
    CHECK(part.contains("applied") == (i == 0));       // the other members come first
    merge_frame(whole, part);
  }
  CHECK(whole == result);
}

TEST_CASE("frame items go where their array is, whatever the other members' strings hold", "[protocol][frames][R90]") {
  // The items are spliced in as text over a placeholder array: a string that spells the
  // placeholder, quotes and all, must stay a string.
  const std::string lookalike = "\"jobs\":[\"\x01items\x01\"]";
  json result = {{"a", lookalike}, {"inner", {{"jobs", json::array()}}}, {"jobs", json::array()}, {"z", lookalike}};
  for (int i = 0; i < 300; ++i) result["jobs"].push_back({{"name", lookalike + std::to_string(i)}});
  for (const std::size_t budget : {std::size_t{512}, kFrameBudget}) {
    const auto frames = encode_frames(3, result, "jobs", budget);
    json whole = json::object();
    for (const auto& frame : frames) {
      const auto decoded = decode_response(frame);
      REQUIRE(std::holds_alternative<Response>(decoded));
      merge_frame(whole, std::get<json>(std::get<Response>(decoded).body));
    }
    CHECK(whole == result);
    if (budget == kFrameBudget) CHECK(frames == std::vector<std::string>{encode_response({3, result})});
  }
}
