// One command on several hosts at once (DESIGN.md, "Several machines"): a session per host,
// each on its own thread with its own ssh, so one slow host holds back no other's answer.
// Tables gain a HOST column, other answers come "HOST: "-prefixed line by line or as a block
// per host, follows are merged line by line as they arrive, and --json wraps each host's
// document. The exit code is the worst host's.
#pragma once
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/paths.hpp"
#include "ctl/cli.hpp"

namespace supd::ctl {

int run_on_hosts(const ParsedCli& cli, const std::vector<std::string>& hosts, std::ostream& out,
                 std::ostream& err, const common::Getenv& env);

// What one host's session ended with.
struct HostAnswer {
  std::string host;
  int code = 0;
  std::string out;                         // what it printed (with --json: its document)
  std::string failure;                     // its error line without "supctl: HOST: "
  std::optional<std::string> error_code;   // supd's error code, when supd said no
};

// The worse of two exit codes: unreachable (3) > usage (2) > failed (1) > no match (4) > ok.
int worse_exit(int a, int b);

// "HOST: " before every line of `text`.
std::string prefix_lines(std::string_view host, std::string_view text);

// `--json` across hosts: {"hosts": [{"host", "ok", "result" | "error": {"code", "message"}}]},
// each result the document the host's supctl would have printed, in host order.
std::string hosts_json(const std::vector<HostAnswer>& answers);

// The error object of a failed host: supd's code when it said no, else one for the exit code
// ("unreachable", "usage", "failed", "no_match").
std::string error_code_for(const HostAnswer& answer);

}  // namespace supd::ctl
