// supctl --host's pure parts: the host list, the ssh command line, ssh's endings in words,
// and how several hosts' answers are put together (exit code, prefixes, --json).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "ctl/cli.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/fanout.hpp"
#include "ctl/render.hpp"
#include "ctl/ssh_link.hpp"

using namespace supd::ctl;

namespace {

int exited(int code) { return code << 8; }  // a wait status for exit(code)
int killed(int signo) { return signo; }      // a wait status for death by signal

}  // namespace

TEST_CASE("hosts are split at commas in order without repeats", "[ctl][hosts]") {
  CHECK(split_hosts({"web1,web2", "db1", "web1"}) == std::vector<std::string>{"web1", "web2", "db1"});
  CHECK(split_hosts({" ann@web1 , web2"}) == std::vector<std::string>{"ann@web1", "web2"});
  CHECK_THROWS_AS(split_hosts({"web1,,web2"}), UsageError);
  CHECK_THROWS_AS(split_hosts({"-oProxyCommand=x"}), UsageError);
  CHECK_THROWS_AS(split_hosts({"web 1"}), UsageError);
}

TEST_CASE("the host option is global and repeats as -H or --host", "[ctl][hosts]") {
  const std::vector<std::string> args{"-H", "web1", "status", "--host", "web2,web3"};
  const auto cli = parse_cli(args);
  CHECK(cli.options.hosts == std::vector<std::string>{"web1", "web2", "web3"});
  const std::vector<std::string> bad{"--host", "", "status"};
  CHECK_THROWS_AS(parse_cli(bad), UsageError);
}

TEST_CASE("ssh runs in batch mode with a connect timeout and the remote command last", "[ctl][hosts]") {
  SshOptions o;
  o.connect = std::chrono::milliseconds(2500);
  CHECK(ssh_argv("ann@web1", o) == std::vector<std::string>{"ssh", "-T", "-o", "BatchMode=yes", "-o",
                                                            "ConnectTimeout=3", "--", "ann@web1", "supctl bridge"});
  o.socket = "/run/my supd/s.sock";
  CHECK(ssh_argv("web1", o).back() == "supctl bridge --socket '/run/my supd/s.sock'");

  const auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "SUPCTL_SSH") return "ssh  -F /etc/x.conf";
    if (name == "SUPCTL_REMOTE") return "/opt/supd/bin/supctl";
    return std::nullopt;
  };
  const auto from_env = ssh_options(env, std::nullopt, std::nullopt);
  const auto argv = ssh_argv("web1", from_env);
  CHECK(argv[0] == "ssh");
  CHECK(argv[1] == "-F");
  CHECK(argv[2] == "/etc/x.conf");
  CHECK(std::find(argv.begin(), argv.end(), "ConnectTimeout=10") != argv.end());
  CHECK(argv.back() == "/opt/supd/bin/supctl bridge");
}

TEST_CASE("shell_quote leaves plain words and single-quotes the rest", "[ctl][hosts]") {
  CHECK(shell_quote("/run/user/1000/supd/supd.sock") == "/run/user/1000/supd/supd.sock");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
}

TEST_CASE("ssh's endings become the cause in words", "[ctl][hosts]") {
  using Kind = ClientFailure::Kind;
  const auto auth = describe_ssh_end(exited(255), "Warning: added\nroot@127.0.0.1: Permission denied (publickey).\n");
  REQUIRE(auth);
  CHECK(auth->kind() == Kind::Unreachable);
  CHECK(std::string(auth->what()).starts_with("authentication refused (root@127.0.0.1: Permission denied"));

  const auto down = describe_ssh_end(exited(255), "ssh: connect to host 127.0.0.1 port 9: Connection refused\n");
  REQUIRE(down);
  CHECK(std::string(down->what()).starts_with("unreachable (ssh: connect to host"));

  const auto keys = describe_ssh_end(exited(255), "Host key verification failed.\n");
  REQUIRE(keys);
  CHECK(std::string(keys->what()).starts_with("the host key could not be verified"));

  const auto missing = describe_ssh_end(exited(127), "bash: line 1: supctl: command not found\n");
  REQUIRE(missing);
  CHECK(missing->kind() == Kind::Unreachable);
  CHECK(std::string(missing->what()).starts_with("no supctl on the remote PATH"));

  // The remote supctl's own line, without its "supctl: ".
  const auto nosupd = describe_ssh_end(exited(3), "supctl: cannot reach supd at /run/x.sock (No such file)\n");
  REQUIRE(nosupd);
  CHECK(nosupd->kind() == Kind::Unreachable);
  CHECK(std::string(nosupd->what()) == "cannot reach supd at /run/x.sock (No such file)");

  const auto old = describe_ssh_end(exited(2), "supctl: unknown command 'bridge'\n");
  REQUIRE(old);
  CHECK(old->kind() == Kind::Refused);

  CHECK(describe_ssh_end(killed(9), "")->kind() == Kind::Unreachable);
  CHECK_FALSE(describe_ssh_end(exited(0), ""));
}

TEST_CASE("several hosts: the worst exit code wins", "[ctl][hosts]") {
  CHECK(worse_exit(kOk, kFailed) == kFailed);
  CHECK(worse_exit(kUnreachable, kFailed) == kUnreachable);
  CHECK(worse_exit(kFailed, kNoMatch) == kFailed);
  CHECK(worse_exit(kNoMatch, kOk) == kNoMatch);
  CHECK(worse_exit(kUsage, kUnreachable) == kUnreachable);
}

TEST_CASE("several hosts: lines prefixed and --json one document per host", "[ctl][hosts]") {
  CHECK(prefix_lines("web1", "api: RUNNING (pid 4)\nworker: STOPPED\n") ==
        "web1: api: RUNNING (pid 4)\nweb1: worker: STOPPED\n");
  CHECK(prefix_lines("web1", "") == "");

  std::vector<HostAnswer> answers(3);
  answers[0] = {"web1", kOk, "{\"pid\":42}\n", "", std::nullopt};
  answers[1] = {"db1", kUnreachable, "", "unreachable (ssh: connect to host db1 port 22: Connection refused)",
                std::nullopt};
  answers[2] = {"web2", kFailed, "", "no job named 'api'", "unknown_job"};
  const auto doc = nlohmann::json::parse(hosts_json(answers));
  CHECK(doc["hosts"].size() == 3);
  CHECK(doc["hosts"][0] == nlohmann::json::parse(R"({"host":"web1","ok":true,"result":{"pid":42}})"));
  CHECK(doc["hosts"][1]["ok"] == false);
  CHECK(doc["hosts"][1]["error"]["code"] == "unreachable");
  CHECK(doc["hosts"][2]["error"]["code"] == "unknown_job");
  CHECK(doc["hosts"][2]["error"]["message"] == "no job named 'api'");
}

TEST_CASE("the status table gains a HOST column", "[ctl][hosts]") {
  supd::protocol::JobStatus api;
  api.name = "api";
  api.state = "stopped";
  const auto text = render_status_table({api, api}, {"web1", "web2"});
  CHECK(text.starts_with("HOST  NAME  STATE"));
  CHECK(text.find("\nweb1  api   STOPPED") != std::string::npos);
  CHECK(text.find("\nweb2  api   STOPPED") != std::string::npos);
}
