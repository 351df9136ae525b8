#include "daemon/control/call.hpp"

#include <unistd.h>

#include <fmt/format.h>


namespace supd::daemon {
protocol::Response defer(Call& call) {
  call.deferred = true;
  return {call.id, nlohmann::json::object()};
}

protocol::Response fail(std::uint64_t id, protocol::ErrorCode code, std::string message) {
  return {id, protocol::Error{code, std::move(message)}};
}

protocol::Error not_running(const Job& job) {
  return {protocol::ErrorCode::NotRunning,
          fmt::format("job '{}' is not running (state: {}); start it with: supctl start {}", job.spec.name,
                      to_string(job.rt.state), job.spec.name)};
}

Origin peer_origin(const Peer& peer) {
  std::string exe(4096, '\0');
  const auto n = ::readlink(fmt::format("/proc/{}/exe", peer.pid).c_str(), exe.data(), exe.size());
  exe.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return Origin::peer(peer.uid, peer.pid, std::move(exe));
}

}  // namespace supd::daemon
