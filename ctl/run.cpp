#include "ctl/run.hpp"

#include <fmt/format.h>

#include "ctl/exit_codes.hpp"
#include "ctl/fanout.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

// The hosts to run on: --host, else $SUPCTL_HOST; checks what cannot work over ssh.
std::vector<std::string> hosts_for(const ParsedCli& cli, const common::Getenv& env) {
  auto hosts = cli.options.hosts;
  // $SUPCTL_HOST is a default: a command that reads this machine (the bridge at the far end
  // of ssh above all) runs here whatever it says.
  if (hosts.empty() && !cli.sub->here_only)
    if (const auto value = env("SUPCTL_HOST")) hosts = split_hosts({*value});
  if (hosts.empty()) return hosts;
  if (cli.sub->here_only)
    throw UsageError(fmt::format("{} reads this machine, so it does not take --host; run it there: ssh {} supctl {}",
                                 cli.sub->name, hosts.front(), cli.sub->name));
  // The local directory means nothing on another machine.
  if (std::holds_alternative<protocol::Run>(cli.command) && !cli.flags.directory)
    throw UsageError("run with --host needs --directory DIR (a directory on the remote host)");
  return hosts;
}

}  // namespace

int run(const ParsedCli& cli, std::ostream& out, std::ostream& err, const common::Getenv& env) {
  std::vector<std::string> hosts;
  try {
    hosts = hosts_for(cli, env);
  } catch (const UsageError& e) {
    err << "supctl: " << one_line(e.what()) << '\n';
    return kUsage;
  }
  if (hosts.size() > 1 && cli.sub->sections) {
    Session session(cli, out, err, env);
    session.hosts = std::move(hosts);
    return run_session(session);
  }
  if (hosts.size() > 1) return run_on_hosts(cli, hosts, out, err, env);
  Session session(cli, out, err, env, hosts.empty() ? std::nullopt : std::optional<std::string>(hosts.front()));
  return run_session(session);
}

}  // namespace supd::ctl
