#include "ctl/run.hpp"

#include <fmt/format.h>

#include "ctl/doctor.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/inspect.hpp"
#include "ctl/render.hpp"
#include "ctl/signal_expect.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

int fail(std::ostream& err, int code, const std::string& message) {
  err << "supctl: " << one_line(message) << '\n';
  err.flush();
  return code;
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

bool has_more(const Reply& reply) {
  const auto* result = std::get_if<nlohmann::json>(&reply.response.body);
  if (result == nullptr || !result->is_object()) return false;
  const auto it = result->find("more");
  return it != result->end() && it->is_boolean() && it->get<bool>();
}

// `logs`: print each piece as it arrives (raw text, or one JSON document per line with
// --json) until the one without "more": true, or until supd goes away (exit 0 then: a
// follow ends with supd).
int stream_logs(Client& client, Reply reply, const ParsedCli& cli, std::ostream& out, std::ostream& err) {
  const auto& logs = std::get<proto::Logs>(cli.command);
  for (;;) {
    if (const auto* error = std::get_if<proto::Error>(&reply.response.body))
      return fail(err, kFailed, error_text(*error));
    const auto text = cli.options.json ? render_json_result(reply.line)
                                       : render_result(cli.command, std::get<nlohmann::json>(reply.response.body));
    if (!text) return fail(err, kFailed, "supd sent a logs result supctl cannot read; use the supctl that came with this supd");
    out << *text;
    out.flush();
    if (!out) return fail(err, kFailed, "cannot write to standard output");
    if (!has_more(reply)) return kOk;
    // A follow waits as long as it takes; a plain tail comes at once.
    auto next = client.next(logs.follow ? Timeout{} : Timeout{kDefaultTimeout});
    if (!next) {
      if (!logs.follow) return fail(err, kFailed, "supd closed the connection in the middle of the log");
      // No {"eof": true}: supd died, or cut this follower off for falling 8 MiB behind.
      err << "supctl: the log stream ended without supd's end mark (supd exited, or this follower fell too far behind)\n";
      err.flush();
      return kOk;
    }
    reply = std::move(*next);
  }
}

// `events`: every piece of the history as it arrives, then (with -f) each new event, until
// the piece without "more" or supd's end mark; supd going away ends a follow with exit 0.
int stream_events(Client& client, Reply reply, const ParsedCli& cli, std::ostream& out, std::ostream& err) {
  const bool follow = std::get<proto::Events>(cli.command).follow;
  for (;;) {
    if (const auto* error = std::get_if<proto::Error>(&reply.response.body))
      return fail(err, kFailed, error_text(*error));
    const auto text = cli.options.json ? render_events_json(reply.line)
                                       : render_events(std::get<nlohmann::json>(reply.response.body));
    if (!text) return fail(err, kFailed, "supd sent an events result supctl cannot read; use the supctl that came with this supd");
    out << *text;
    out.flush();
    if (!out) return fail(err, kFailed, "cannot write to standard output");
    if (!has_more(reply)) return kOk;
    auto next = client.next(follow ? Timeout{} : Timeout{kDefaultTimeout});
    if (!next) {
      if (!follow) return fail(err, kFailed, "supd closed the connection in the middle of the history");
      err << "supctl: the event stream ended without supd's end mark (supd exited, or this follower fell too far behind)\n";
      err.flush();
      return kOk;
    }
    reply = std::move(*next);
  }
}

}  // namespace

Limits limits_for(const GlobalOptions& options, const protocol::Command& command) {
  Timeout given = kDefaultTimeout;
  if (options.timeout) given = options.timeout->count() > 0 ? Timeout(*options.timeout) : std::nullopt;
  const bool unlimited = waits_for_jobs(command) && !options.timeout;
  return {given, unlimited ? std::nullopt : given};
}

int run(const ParsedCli& cli, std::ostream& out, std::ostream& err, const common::Getenv& env) {
  if (cli.sub != nullptr && cli.sub->name == "doctor") return run_doctor(cli, out, err, env);
  common::PathFlags flags;
  flags.socket = cli.options.socket;
  const auto paths = common::resolve_paths(flags, env);
  const auto limits = limits_for(cli.options, cli.command);
  const bool waiting = waits_for_jobs(cli.command);
  const std::string start_hint =
      cli.options.socket ? fmt::format("supd --detach --socket {}", paths.socket.string()) : "supd --detach";

  Reply reply;
  try {
    const bool expect = cli.flags.expect && std::holds_alternative<proto::SignalJob>(cli.command);
    // The command goes right behind the hello; `signal --expect` first follows the log.
    auto client = Client::connect(paths.socket, limits.connect, start_hint, expect ? nullptr : &cli.command);
    if (expect)
      return run_signal_expect(client, cli, limits.connect, limits.request, out, err);
    reply = client.call(cli.command, limits.request);
    if (std::holds_alternative<proto::Logs>(cli.command)) return stream_logs(client, std::move(reply), cli, out, err);
    if (std::holds_alternative<proto::Events>(cli.command)) return stream_events(client, std::move(reply), cli, out, err);
    if (reply.response.ok() && std::holds_alternative<proto::Shutdown>(cli.command))
      client.wait_for_close(limits.request);  // returns once supd is gone
  } catch (const ClientFailure& e) {
    return fail(err, exit_code_for(e, waiting), e.what());
  }

  if (const auto* error = std::get_if<proto::Error>(&reply.response.body))
    return fail(err, kFailed, error_text(*error));

  if (cli.sub != nullptr && cli.sub->name == "inspect") {
    const auto pid = std::get<nlohmann::json>(reply.response.body).value("pid", 0);
    if (pid <= 0) return fail(err, kFailed, "supd sent a pid result supctl cannot read; use the supctl that came with this supd");
    return print_inspect(std::get<proto::Pid>(cli.command).job, pid, cli.options.json, out, err);
  }
  const auto text = cli.options.json ? render_json_result(reply.line)
                                     : render_result(cli.command, std::get<nlohmann::json>(reply.response.body));
  if (!text)
    return fail(err, kFailed,
                fmt::format("supd sent a {} result supctl cannot read; use the supctl that came with this supd",
                            proto::method_name(cli.command)));
  out << *text;
  out.flush();
  if (!out) return fail(err, kFailed, "cannot write to standard output");
  if (std::holds_alternative<proto::Reload>(cli.command)) {
    // A refused reload: every config error on the one stderr line, exit 1.
    const auto errors = reload_errors(std::get<nlohmann::json>(reply.response.body));
    if (!errors.empty()) {
      std::string all;
      for (const auto& e : errors) all += (all.empty() ? "" : "; ") + e;
      return fail(err, kFailed,
                  fmt::format("reload refused, nothing changed: {} error(s) in the config: {}; fix them and reload again",
                              errors.size(), all));
    }
  }
  return kOk;
}

}  // namespace supd::ctl
