// supctl's plain path (ctl/plain_cli.hpp, ctl/plain_run.hpp) against the full one: every line
// it takes is parsed as parse_cli() parses it, every other line (the mistakes above all) is
// left to parse_cli(), and against the same fake supd both print the same stdout, the same
// stderr line and the same exit code.
#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/protocol.hpp"
#include "ctl/cli.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/plain_cli.hpp"
#include "ctl/plain_run.hpp"
#include "ctl/run.hpp"
#include "tests/unit/ctl/fake_supd.hpp"

using namespace supd::ctl_test;
using supd::ctl::ParsedCli;

namespace {

using Args = std::vector<std::string>;

std::string shown(const Args& args) {
  std::string out = "supctl";
  for (const auto& a : args) out += " '" + a + "'";
  return out;
}

// The lines scripts and benchmarks repeat: each must take the plain path.
const std::vector<Args> kPlain = {
    {"status"},
    {"status", "amsa"},
    {"list", "amsa", "web"},
    {"status", "all"},
    {"status", "amsa", "all"},
    {"status", "amsa@2"},
    {"status", "stop"},  // jobs named like commands
    {"status", "status", "list"},
    {"pid", "signal"},
    {"stop", "--no-wait", "stop"},
    {"--json", "status"},
    {"status", "amsa", "--json"},
    {"--socket", "/run/s.sock", "status", "amsa"},
    {"status", "--socket", "/run/s.sock", "amsa"},
    {"status", "amsa", "--socket=/run/s.sock"},
    {"--socket", "/a", "--socket", "/b", "status"},
    {"--socket", "status", "status"},  // a socket named like a command
    {"--json", "--json", "status"},
    {"signal", "amsa", "USR1"},
    {"signal", "amsa", "sigusr1"},
    {"signal", "amsa", "10"},
    {"signal", "amsa", "RTMIN+2"},
    {"signal", "--group", "amsa", "TERM"},
    {"signal", "amsa", "TERM", "--group"},
    {"signal", "USR1", "TERM"},  // a job named USR1: both words are signals, so not supervisorctl's order
    {"start", "amsa"},
    {"start", "a", "--no-wait", "b"},
    {"stop", "--no-wait", "amsa"},
    {"stop", "all"},
    {"restart", "amsa", "--no-wait", "--no-wait"},
    {"pid", "amsa"},
    {"--json", "pid", "amsa"},
};

// Mistakes: the plain path leaves them to parse_cli, whose one-line usage error main prints.
const std::vector<Args> kMistakes = {
    {},
    {"frobnicate"},
    {"stat"},
    {"status", "--no-such-flag"},
    {"status", "--no-wait"},
    {"--no-wait", "stop", "amsa"},
    {"status", "a/b"},
    {"status", ""},
    {"--socket"},
    {"--socket", "status"},
    {"signal", "amsa"},
    {"signal", "amsa", "SIGFOO"},
    {"signal", "USR1", "amsa"},
    {"signal", "amsa", "-USR1"},
    {"signal", "amsa", "USR1", "extra"},
    {"signal", "--no-wait", "amsa", "USR1"},
    {"start"},
    {"stop", "--no-wait"},
    {"restart", "--group", "amsa"},
    {"pid"},
    {"pid", "a", "b"},
    {"help", "frobnicate"},
};

// Not mistakes, and not plain either: help, other commands, options the plain path does not read.
const std::vector<Args> kOtherLines = {
    {"help"},
    {"help", "status"},
    {"--help"},
    {"status", "--help"},
    {"status", "-h"},
    {"--version"},
    {"status", "--", "amsa"},
    {"status", "amsa", "--json=true"},
    {"--socket", "--json", "status"},
    {"--socket=", "status"},
    {"--timeout", "5s", "status"},
    {"--host", "box", "status"},
    {"-H", "box", "status"},
    {"signal", "amsa", "USR1", "--expect", "ready"},
    {"logs", "amsa"},
    {"events"},
    {"reload"},
    {"shutdown"},
    {"top"},
    {"doctor"},
    {"why", "amsa"},
    {"run", "x", "--", "sleep", "1"},
};

// What the full path gives for the same line (a UsageError is what main prints for it).
struct PlainOutcome {
  int code = 0;
  std::string out;
  std::string err;
  bool operator==(const PlainOutcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const PlainOutcome& o) {
  return os << "exit " << o.code << ", stdout \"" << o.out << "\", stderr \"" << o.err << "\"";
}

const supd::common::Getenv kNoEnv = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };

PlainOutcome full_path(const Args& args, const supd::common::Getenv& env) {
  std::ostringstream out, err;
  try {
    const auto cli = supd::ctl::parse_cli(args);
    const int code = supd::ctl::run(cli, out, err, env);
    return {code, out.str(), err.str()};
  } catch (const supd::ctl::UsageError& e) {
    return {supd::ctl::kUsage, {}, "supctl: " + std::string(e.what()) + "\n"};
  }
}

// The bytes written to a memory file.
std::string contents(int fd) {
  std::string text;
  char buf[4096];
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) return text;
    text.append(buf, static_cast<std::size_t>(n));
    at += n;
  }
}

PlainOutcome plain_path(const ParsedCli& cli, const supd::common::Getenv& env) {
  const UniqueFd out(::memfd_create("out", MFD_CLOEXEC)), err(::memfd_create("err", MFD_CLOEXEC));
  REQUIRE(out);
  REQUIRE(err);
  const int code = supd::ctl::run_plain(cli, out.get(), err.get(), env);
  return {code, contents(out.get()), contents(err.get())};
}

// A supd that knows amsa, web and amsa@2, and no other job; `hang_up` closes the connection
// once the request has come, without answering it.
void serve(Conn& c, bool hang_up) {
  c.greet();
  const auto request = c.read_request();
  if (hang_up) return;
  const auto known = [](const std::string& job) { return job == "amsa" || job == "web" || job == "amsa@2" || job == "all"; };
  const auto job = [](const std::string& name) {
    return proto::JobStatus{name, "running", 4242, 192.5, 1, std::nullopt, std::nullopt};
  };
  std::visit(
      [&](const auto& command) {
        using C = std::decay_t<decltype(command)>;
        if constexpr (std::is_same_v<C, proto::Status> || std::is_same_v<C, proto::Start> ||
                      std::is_same_v<C, proto::Stop> || std::is_same_v<C, proto::Restart>) {
          std::vector<proto::JobStatus> jobs;
          for (const auto& name : command.jobs) {
            if (!known(name)) return c.fail(request.id, proto::ErrorCode::UnknownJob, "no job named '" + name + "'");
            jobs.push_back(job(name));
          }
          if (jobs.empty()) jobs = {job("amsa"), job("web")};
          c.reply(request.id, proto::jobs_result(jobs));
        } else if constexpr (std::is_same_v<C, proto::SignalJob>) {
          if (!known(command.job)) return c.fail(request.id, proto::ErrorCode::UnknownJob, "no job named '" + command.job + "'");
          c.reply(request.id, proto::SignalJob::Reply{command.job, 4242, command.signal, command.group}.to_json());
        } else if constexpr (std::is_same_v<C, proto::Pid>) {
          if (!known(command.job)) return c.fail(request.id, proto::ErrorCode::UnknownJob, "no job named '" + command.job + "'");
          c.reply(request.id, proto::Pid::Reply{4242}.to_json());
        } else {
          c.fail(request.id, proto::ErrorCode::UnknownMethod, "not in this fake");
        }
      },
      request.command);
}

}  // namespace

TEST_CASE("the plain path reads its lines as parse_cli does", "[ctl][plain]") {
  for (const auto& args : kPlain) {
    INFO(shown(args));
    const auto plain = supd::ctl::parse_plain(args);
    REQUIRE(plain.has_value());
    const auto full = supd::ctl::parse_cli(args);
    CHECK(plain->action == full.action);
    CHECK(plain->sub == full.sub);
    CHECK(plain->command == full.command);
    CHECK(plain->args == full.args);
    CHECK(plain->options.socket == full.options.socket);
    CHECK(plain->options.json == full.options.json);
    CHECK(plain->options.timeout == full.options.timeout);
    CHECK(plain->options.hosts == full.options.hosts);
    CHECK(plain->flags.no_wait == full.flags.no_wait);
    CHECK(plain->flags.group == full.flags.group);
    CHECK(plain->flags.expect == full.flags.expect);
    CHECK(supd::ctl::runs_plain(*plain, kNoEnv));
  }
}

TEST_CASE("mistakes are left to parse_cli: its one-line usage error and exit 2", "[ctl][plain]") {
  for (const auto& args : kMistakes) {
    INFO(shown(args));
    CHECK_FALSE(supd::ctl::parse_plain(args).has_value());
    const auto full = full_path(args, kNoEnv);
    CHECK(full.code == supd::ctl::kUsage);
    CHECK(full.out.empty());
    CHECK(full.err.find('\n') == full.err.size() - 1);
  }
}

TEST_CASE("help, other commands and other options are left to parse_cli", "[ctl][plain]") {
  for (const auto& args : kOtherLines) {
    INFO(shown(args));
    CHECK_FALSE(supd::ctl::parse_plain(args).has_value());
  }
}

TEST_CASE("a plain line with SUPCTL_HOST set is left to run() and ssh", "[ctl][plain]") {
  const auto cli = supd::ctl::parse_plain(Args{"status"});
  REQUIRE(cli.has_value());
  const supd::common::Getenv host = [](std::string_view name) -> std::optional<std::string> {
    if (name == "SUPCTL_HOST") return "box";
    return std::nullopt;
  };
  CHECK_FALSE(supd::ctl::runs_plain(*cli, host));
}

TEST_CASE("the plain path prints, says and exits as the full path does", "[ctl][plain]") {
  const bool hang_up = GENERATE(false, true);
  FakeSupd supd([hang_up](Conn& c) { serve(c, hang_up); }, FakeSupd::Accept::Each);
  const std::string socket = supd.socket().string();
  const std::vector<Args> cases = {
      {"status"},
      {"status", "amsa"},
      {"list", "amsa", "web"},
      {"status", "amsa", "--json"},
      {"status", "nosuch"},
      {"status", "amsa", "nosuch"},
      {"signal", "amsa", "USR1"},
      {"signal", "--group", "amsa", "10"},
      {"signal", "nosuch", "HUP"},
      {"start", "amsa"},
      {"stop", "--no-wait", "amsa", "web"},
      {"restart", "all"},
      {"pid", "amsa"},
      {"--json", "pid", "amsa"},
      {"pid", "nosuch"},
  };
  for (auto args : cases) {
    args.insert(args.begin(), {"--socket", socket});
    INFO(shown(args) << (hang_up ? ", supd hangs up after the hello" : ""));
    const auto plain = supd::ctl::parse_plain(args);
    REQUIRE(plain.has_value());
    const auto expected = full_path(args, kNoEnv);
    CHECK(plain_path(*plain, kNoEnv) == expected);
    const bool unknown = std::find(args.begin(), args.end(), "nosuch") != args.end();
    CHECK(expected.code == (hang_up ? supd::ctl::kUnreachable : unknown ? supd::ctl::kFailed : supd::ctl::kOk));
  }
}

TEST_CASE("with no supd, or its socket named by SUPD_SOCKET, the plain path says what the full one says", "[ctl][plain]") {
  TempDir dir;
  const std::string socket = (dir.path / "supd.sock").string();
  const supd::common::Getenv env = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "SUPD_SOCKET") return socket;
    return std::nullopt;
  };
  for (const auto& args : std::vector<Args>{{"status"}, {"signal", "amsa", "USR1"}, {"--socket", socket, "stop", "amsa"}}) {
    INFO(shown(args));
    const auto plain = supd::ctl::parse_plain(args);
    REQUIRE(plain.has_value());
    const auto expected = full_path(args, env);
    CHECK(expected.code == supd::ctl::kUnreachable);
    CHECK(plain_path(*plain, env) == expected);
  }
}
