// How a command's answer reaches the client that asked: the Peer it came from and the Reply
// that sends response lines (at once, later, or pulled frame by frame as the client drains).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>
#include <type_traits>
#include <utility>

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
  // What a client that reads nothing for a while costs a stream: Drop (it holds what was
  // queued for it; dropped after a while), or Wait (what it has not read waits on disk, as
  // for a follow that reads the files when behind: never dropped for pausing).
  enum class Stall { Drop, Wait };
  using Pull = std::function<void(FrameSource source, Stall stall)>;
  using Room = std::function<bool()>;

  Reply() = default;
  explicit Reply(Send send, CancelSlot cancel = {}, Pull pull = {}, Room room = {})
      : send_(std::move(send)), cancel_(std::move(cancel)), pull_(std::move(pull)), room_(std::move(room)) {}
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
  // has room for it, so a reply is never queued whole. A source may give an empty frame
  // (without `last`) for "nothing now": pulling stops until the source is handed over again,
  // while lines may still be pushed. Without a session (tests) frames are pulled at once.
  void stream(FrameSource source, Stall stall = Stall::Drop) const {
    if (pull_) return pull_(std::move(source), stall);
    for (bool last = false; !last;) {
      std::string line = source(last);
      if (line.empty() && !last) return;
      if (!(*this)(std::move(line), last)) return;
    }
  }
  // Whether a pushed line would be queued without this client falling behind (a follow then
  // reads from the files instead). Always, without a session.
  bool has_room() const { return !room_ || room_(); }
  // Runs `fn` if the client goes away before the last line (a stream ends early).
  void on_cancel(std::function<void()> fn) const {
    if (cancel_) *cancel_ = std::move(fn);
  }

private:
  Send send_;
  CancelSlot cancel_;
  Pull pull_;
  Room room_;
};

}  // namespace supd::daemon
