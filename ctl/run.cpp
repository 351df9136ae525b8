#include "ctl/run.hpp"

#include "ctl/exit_codes.hpp"

namespace supd::ctl {
namespace {

int exit_code_for(const ClientFailure& e, bool waiting) {
  switch (e.kind()) {
  case ClientFailure::Kind::Unreachable: return kUnreachable;
  case ClientFailure::Kind::TimedOut: return waiting ? kFailed : kUnreachable;
  case ClientFailure::Kind::Refused:
  case ClientFailure::Kind::BadReply: return kFailed;
  }
  return kFailed;
}

}  // namespace

int run(const ParsedCli& cli, std::ostream& out, std::ostream& err, const common::Getenv& env) {
  Session session(cli, out, err, env);
  try {
    // What differs per command (streams, waits, client-side work) is the row's hook.
    return cli.sub != nullptr && cli.sub->run != nullptr ? cli.sub->run(session) : run_request(session);
  } catch (const ClientFailure& e) {
    return session.fail(exit_code_for(e, waits_for_jobs(cli.command)), e.what());
  }
}

}  // namespace supd::ctl
