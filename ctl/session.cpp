#include "ctl/session.hpp"

#include <fmt/format.h>

#include "ctl/exit_codes.hpp"
#include "ctl/find_supd.hpp"
#include "ctl/render.hpp"
#include "ctl/ssh_link.hpp"

namespace supd::ctl {

namespace proto = supd::protocol;

common::Paths paths_for(const GlobalOptions& options, const common::Getenv& env) {
  common::PathFlags flags;
  flags.socket = options.socket;
  return common::resolve_paths(flags, env);
}

std::string start_hint_for(const GlobalOptions& options, const common::Paths& paths) {
  return options.socket ? fmt::format("supd --detach --socket {}", paths.socket.string()) : "supd --detach";
}

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
      paths(paths_for(parsed.options, environment)),
      limits(limits_for(parsed.options, parsed.command)),
      start_hint(start_hint_for(parsed.options, paths)),
      host(std::move(remote)) {}

Client Session::connect(bool send_ahead) const {
  const auto* then = send_ahead ? &cli.command : nullptr;
  if (host) {
    auto [link, fd] = SshLink::open(*host, ssh_options(env, cli.options.socket, limits.connect));
    // ssh's own connect is bounded by its ConnectTimeout; the hello gets that time again.
    Timeout hello = limits.connect ? Timeout(*limits.connect * 2) : std::nullopt;
    return Client::greet(std::move(fd), *host, hello, then, std::move(link));
  }
  return connect_to_supd(paths, limits.connect, start_hint, then, note(), env);
}

Note Session::note() const {
  return [this](const std::string& line) {
    err << line;
    err.flush();
  };
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
  if (!out) return fail(kFailed, kStdoutGone);
  return kOk;
}

Shown shown_reply(const ParsedCli& cli, const Reply& reply) {
  if (const auto* error = std::get_if<proto::Error>(&reply.response.body))
    return {kFailed, {}, error_text(*error), std::string(proto::wire_name(error->code))};
  auto text = cli.options.json ? render_json_result(reply.line)
                               : render_result(cli.command, std::get<nlohmann::json>(reply.response.body));
  if (!text)
    return {kFailed, {},
            fmt::format("supd sent a {} result supctl cannot read; use the supctl that came with this supd",
                        proto::method_name(cli.command)),
            std::nullopt};
  return {kOk, std::move(*text), {}, std::nullopt};
}

int Session::show(const Reply& reply) {
  auto shown = shown_reply(cli, reply);
  if (shown.code != kOk) {
    error_code = std::move(shown.error_code);
    return fail(shown.code, shown.failure);
  }
  return print(shown.out);
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
