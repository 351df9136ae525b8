// `upgrade`: carried out by the loop after this event (daemon/continuity/upgrade.cpp); the
// re-exec'd supd answers on the same connection.
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Upgrade&, Call& call) {
  if (call.sup.shutting_down() || !call.handlers.queue_upgrade(call))
    return fail(call.id, protocol::ErrorCode::ShuttingDown, "supd is shutting down or upgrading already");
  return {call.id, nlohmann::json::object()};
}

}  // namespace supd::daemon
