#include "ctl/session.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "common/runtime_dir.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/find_supd.hpp"
#include "ctl/render.hpp"
#include "ctl/ssh_link.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

common::Paths paths_of(const ParsedCli& cli, const common::Getenv& env) {
  common::PathFlags flags;
  flags.socket = cli.options.socket;
  return common::resolve_paths(flags, env);
}

}  // namespace

int exit_code_for(const ClientFailure& e, bool waiting) {
  switch (e.kind()) {
  case ClientFailure::Kind::Unreachable: return kUnreachable;
  case ClientFailure::Kind::TimedOut: return waiting ? kFailed : kUnreachable;
  case ClientFailure::Kind::Refused:
  case ClientFailure::Kind::BadReply: return kFailed;
  }
  return kFailed;
}

Limits limits_for(const GlobalOptions& options, const protocol::Command& command) {
  Timeout given = kDefaultTimeout;
  if (options.timeout) given = options.timeout->count() > 0 ? Timeout(*options.timeout) : std::nullopt;
  const bool unlimited = waits_for_jobs(command) && !options.timeout;
  return {given, unlimited ? std::nullopt : given};
}

Session::Session(const ParsedCli& parsed, std::ostream& to_out, std::ostream& to_err,
                 const common::Getenv& environment, std::optional<std::string> remote)
    : cli(parsed),
      out(to_out),
      err(to_err),
      env(environment),
      paths(paths_of(parsed, environment)),
      limits(limits_for(parsed.options, parsed.command)),
      start_hint(parsed.options.socket ? fmt::format("supd --detach --socket {}", paths.socket.string())
                                       : "supd --detach"),
      host(std::move(remote)) {}

Client Session::connect(bool send_ahead) const {
  const auto* then = send_ahead ? &cli.command : nullptr;
  if (host) {
    auto [link, fd] = SshLink::open(*host, ssh_options(env, cli.options.socket, limits.connect));
    // ssh's own connect is bounded by its ConnectTimeout; the hello gets that time again.
    Timeout hello = limits.connect ? Timeout(*limits.connect * 2) : std::nullopt;
    return Client::greet(std::move(fd), *host, hello, then, std::move(link));
  }
  // The default socket under another user's XDG_RUNTIME_DIR (su without -): say so, not EACCES.
  if (paths.socket_dir_is_default)
    if (const auto why = common::foreign_runtime_dir(env, ::geteuid()))
      throw ClientFailure(ClientFailure::Kind::Unreachable, *why);
  return connect_to_supd(paths, limits.connect, start_hint, then, err);
}

int Session::fail(int code, std::string_view message) {
  failure = one_line(message);
  err << "supctl: " << (host ? *host + ": " : std::string()) << failure << '\n';
  err.flush();
  return code;
}

int Session::print(std::string_view text) {
  out << text;
  out.flush();
  if (!out) return fail(kFailed, "cannot write to standard output");
  return kOk;
}

int Session::show(const Reply& reply) {
  if (const auto* error = std::get_if<proto::Error>(&reply.response.body)) {
    error_code = std::string(proto::wire_name(error->code));
    return fail(kFailed, error_text(*error));
  }
  const auto text = cli.options.json ? render_json_result(reply.line)
                                     : render_result(cli.command, std::get<nlohmann::json>(reply.response.body));
  if (!text)
    return fail(kFailed,
                fmt::format("supd sent a {} result supctl cannot read; use the supctl that came with this supd",
                            proto::method_name(cli.command)));
  return print(*text);
}

int run_request(Session& session) {
  auto client = session.connect();
  return session.show(client.call(session.cli.command, session.limits.request));
}

int run_session(Session& session) {
  try {
    // What differs per command (streams, waits, client-side work) is the row's hook.
    const auto* sub = session.cli.sub;
    return sub != nullptr && sub->run != nullptr ? sub->run(session) : run_request(session);
  } catch (const ClientFailure& e) {
    return session.fail(exit_code_for(e, waits_for_jobs(session.cli.command)), e.what());
  }
}

}  // namespace supd::ctl
