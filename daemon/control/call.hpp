// What every command's serve() (daemon/control/commands/<name>.cpp) gets, and the small
// helpers they share: one place for the wording of "not running" and for who is asking.
#pragma once
#include <cstdint>
#include <string>

#include "common/protocol.hpp"
#include "daemon/control/reply.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/origin.hpp"
#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

class Handlers;

// The request's id and peer, the reply (kept by a command that answers later, which then
// sets `deferred`), the time it is served, and the handlers' shared state and tools.
struct Call {
  std::uint64_t id;
  const Peer& peer;
  Reply& reply;
  bool& deferred;
  TimePoint now;
  Handlers& handlers;
  Supervisor& sup;
};

// The answer comes later, through call.reply.
protocol::Response defer(Call& call);
protocol::Response fail(std::uint64_t id, protocol::ErrorCode code, std::string message);
// "job 'amsa' is not running (state: stopped); start it with: supctl start amsa"
protocol::Error not_running(const Job& job);
// Who is asking: SO_PEERCRED's uid and pid, and the program, read now (it may have exited,
// or be another user's under hidepid: then it is left out).
Origin peer_origin(const Peer& peer);

}  // namespace supd::daemon
