// Requests -> supervisor -> responses, through one dispatch over the typed Command. Commands
// that wait (start/stop/restart until their jobs settle, shutdown until supd is done) keep
// their reply and answer from after_event().
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "common/protocol.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log_service.hpp"
#include "daemon/control/reloader.hpp"
#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

struct Peer {
  uid_t uid = 0;
  pid_t pid = 0;
  int fd = -1;  // the connection (for `upgrade`, whose answer comes from the re-exec'd supd)
};

// A long reply produced as the client drains it: each call gives the next frame (a whole
// response line, '\n'-terminated) and sets `last` on the final one. Called on the loop only.
using FrameSource = std::function<std::string(bool& last)>;

// Sends response lines (each with its '\n') to the client that asked. Most requests get one;
// a stream (`logs`) sends several with last = false, then one with last = true, and the
// session reads no further request until then. Returns false once the client is gone.
class Reply {
public:
  using Send = std::function<bool(std::string line, bool last)>;
  using CancelSlot = std::shared_ptr<std::function<void()>>;
  using Pull = std::function<void(FrameSource source)>;

  Reply() = default;
  explicit Reply(Send send, CancelSlot cancel = {}, Pull pull = {})
      : send_(std::move(send)), cancel_(std::move(cancel)), pull_(std::move(pull)) {}
  // A one-argument callable (tests, simple callers): every line is accepted.
  template <class F>
    requires std::is_invocable_v<F&, std::string> && (!std::is_invocable_v<F&, std::string, bool>)
  Reply(F f)  // NOLINT(google-explicit-constructor): lambdas convert as they did before
      : send_([f = std::move(f)](std::string line, bool) mutable {
          f(std::move(line));
          return true;
        }) {}

  bool operator()(std::string line, bool last = true) const { return send_ && send_(std::move(line), last); }
  // Hands the rest of the reply to `source`: the session pulls a frame each time the client
  // has room for it, so a reply is never queued whole. Without a session (tests) every
  // frame is pulled and sent at once.
  void stream(FrameSource source) const {
    if (pull_) return pull_(std::move(source));
    for (bool last = false; !last;) {
      std::string line = source(last);
      if (!(*this)(std::move(line), last)) return;
    }
  }
  // Runs `fn` if the client goes away before the last line (a stream ends early).
  void on_cancel(std::function<void()> fn) const {
    if (cancel_) *cancel_ = std::move(fn);
  }

private:
  Send send_;
  CancelSlot cancel_;
  Pull pull_;
};

class Handlers {
public:
  explicit Handlers(Supervisor& sup) : sup_(sup) {}
  // Where `logs -f` and `logs --reopen` go (the output capture); without it they fail.
  void set_logs(LogService* logs) { logs_ = logs; }
  // Where `reload` and `persist` go (the config file); without it they fail.
  void set_reloader(Reloader* reloader) { reloader_ = reloader; }

  // Answers at once or later (waiting commands); the session sends nothing else meanwhile.
  void handle(std::string_view line, const Peer& peer, Reply reply);

  void after_event(TimePoint now);  // answers waiters whose jobs have settled
  void on_shutdown_complete();      // answers `shutdown` callers, refuses other waiters
  bool shutdown_requested() const { return shutdown_requested_; }
  // `upgrade` waits here until the loop carries it out (daemon/continuity/upgrade.cpp).
  struct PendingUpgrade {
    std::uint64_t id;
    int client_fd;
    Reply reply;
  };
  std::optional<PendingUpgrade> take_upgrade() { return std::exchange(upgrade_, std::nullopt); }

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
  // What every command's handler gets: the request's id and peer, the reply (kept by one that
  // answers later, which sets `deferred`), and the time the request is served.
  struct Call {
    std::uint64_t id;
    const Peer& peer;
    Reply& reply;
    bool& deferred;
    TimePoint now;
  };
  protocol::Response defer(Call& call);  // the answer comes later, through call.reply
  protocol::Response serve(const protocol::Hello& c, Call& call);
  protocol::Response serve(const protocol::Status& c, Call& call);
  protocol::Response serve(const protocol::Start& c, Call& call);
  protocol::Response serve(const protocol::Stop& c, Call& call);
  protocol::Response serve(const protocol::Restart& c, Call& call);
  protocol::Response serve(const protocol::SignalJob& c, Call& call);
  protocol::Response serve(const protocol::Pid& c, Call& call);
  protocol::Response serve(const protocol::Shutdown& c, Call& call);
  protocol::Response serve(const protocol::Logs& c, Call& call);
  protocol::Response serve(const protocol::Reload& c, Call& call);
  protocol::Response serve(const protocol::Run& c, Call& call);
  protocol::Response serve(const protocol::Persist& c, Call& call);
  protocol::Response serve(const protocol::Events& c, Call& call);
  protocol::Response serve(const protocol::Why& c, Call& call);
  protocol::Response serve(const protocol::Upgrade& c, Call& call);
  protocol::Response control(std::uint64_t id, WaitKind kind, const std::vector<std::string>& names,
                             bool wait, const Peer& peer, Reply& reply, bool& deferred);
  // Names -> jobs, "all" meaning every job; an error for the first invalid or unknown name.
  std::optional<protocol::Error> resolve(const std::vector<std::string>& names, bool empty_means_all,
                                         std::vector<Job*>& out);
  protocol::Response settled_response(std::uint64_t id, WaitKind kind, const std::vector<std::string>& jobs,
                                      TimePoint now);
  bool settled(const std::vector<std::string>& jobs);
  // One reply; cut into frames (pulled as the client drains them) when it is over one.
  void send_response(const protocol::Response& response, const Reply& reply);
  FrameSource status_frames(std::uint64_t id, std::vector<std::pair<std::size_t, std::string>> names);
  protocol::Response logs(std::uint64_t id, const protocol::Logs& c, Reply& reply, bool& deferred);
  protocol::Response run(std::uint64_t id, const protocol::Run& c, const Peer& peer, Reply& reply, bool& deferred);
  protocol::Response events(std::uint64_t id, const protocol::Events& c, Reply& reply, bool& deferred);
  protocol::Response why(std::uint64_t id, const protocol::Why& c, TimePoint now);

  Supervisor& sup_;
  LogService* logs_ = nullptr;
  Reloader* reloader_ = nullptr;
  std::vector<Waiter> waiters_;
  std::vector<std::pair<std::uint64_t, Reply>> shutdown_waiters_;
  bool shutdown_requested_ = false;
  std::optional<PendingUpgrade> upgrade_;
  int stopped_at_shutdown_ = 0;  // jobs with a process when `shutdown` came
  std::map<std::uint64_t, std::pair<std::uint64_t, Reply>> event_follows_;  // token -> request id, reply
};

}  // namespace supd::daemon
