// Requests -> supervisor -> responses, through one dispatch over the typed Command. Commands
// that wait (start/stop/restart until their jobs settle, shutdown until supd is done) keep
// their reply and answer from after_event().
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "common/protocol.hpp"
#include "daemon/clock.hpp"
#include "daemon/supervisor.hpp"

namespace supd::daemon {

struct Peer {
  uid_t uid = 0;
  pid_t pid = 0;
};

// Sends one response line (with its '\n') to the client that asked.
using Reply = std::function<void(std::string line)>;

class Handlers {
public:
  explicit Handlers(Supervisor& sup) : sup_(sup) {}

  // Answers at once or later (waiting commands); the session sends nothing else meanwhile.
  void handle(std::string_view line, const Peer& peer, Reply reply);

  void after_event(TimePoint now);  // answers waiters whose jobs have settled
  void on_shutdown_complete();      // answers `shutdown` callers, refuses other waiters
  bool shutdown_requested() const { return shutdown_requested_; }

private:
  enum class WaitKind { Start, Stop, Restart };
  struct Waiter {
    std::uint64_t id;
    WaitKind kind;
    std::vector<std::string> jobs;
    Reply reply;
  };

  protocol::Response dispatch(std::uint64_t id, const protocol::Command& command, const Peer& peer,
                              Reply& reply, bool& deferred);
  protocol::Response control(std::uint64_t id, WaitKind kind, const std::vector<std::string>& names,
                             bool wait, const Peer& peer, Reply& reply, bool& deferred);
  // Names -> jobs, "all" meaning every job; an error for the first invalid or unknown name.
  std::optional<protocol::Error> resolve(const std::vector<std::string>& names, bool empty_means_all,
                                         std::vector<Job*>& out);
  protocol::Response settled_response(std::uint64_t id, WaitKind kind, const std::vector<std::string>& jobs,
                                      TimePoint now);
  bool settled(const std::vector<std::string>& jobs);

  Supervisor& sup_;
  std::vector<Waiter> waiters_;
  std::vector<std::pair<std::uint64_t, Reply>> shutdown_waiters_;
  bool shutdown_requested_ = false;
  int stopped_at_shutdown_ = 0;  // jobs with a process when `shutdown` came
};

}  // namespace supd::daemon
