// What a control session hands each request line to: `Handlers` in supd, a fake in the
// session's unit tests (which then need no Supervisor).
#pragma once
#include <string_view>

#include "daemon/control/reply.hpp"

namespace supd::daemon {

class RequestHandler {
public:
  // Answers at once or later (waiting commands); the session sends nothing else meanwhile.
  virtual void handle(std::string_view line, const Peer& peer, Reply reply) = 0;

protected:
  ~RequestHandler() = default;  // not owned through this
};

}  // namespace supd::daemon
