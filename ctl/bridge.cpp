// `supctl bridge`: what `supctl --host` runs on the far side of ssh. It connects to this
// machine's supd as any supctl does (the same trust checks, the same fallbacks), then relays
// bytes both ways between stdin/stdout and that socket until supd closes it; the protocol
// passes through unchanged, so a person can also type NDJSON to `ssh host supctl bridge`.
#include "ctl/bridge.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "ctl/exit_codes.hpp"
#include "ctl/find_supd.hpp"

namespace supd::ctl {
namespace {

// One direction of the relay: bytes read from `from`, not yet written to `to`.
struct Pipe {
  int from;
  int to;
  std::string pending;
  bool open = true;  // `from` has not ended
};

// O_NONBLOCK on stdin/stdout, taken back at the end: a terminal's flags are shared with the
// shell that started us.
class NonBlocking {
public:
  explicit NonBlocking(int fd) : fd_(fd), flags_(::fcntl(fd, F_GETFL)) {
    if (flags_ >= 0) ::fcntl(fd, F_SETFL, flags_ | O_NONBLOCK);
  }
  ~NonBlocking() {
    if (flags_ >= 0) ::fcntl(fd_, F_SETFL, flags_);
  }
  NonBlocking(const NonBlocking&) = delete;
  NonBlocking& operator=(const NonBlocking&) = delete;

private:
  int fd_;
  int flags_;
};

// Moves what it can without blocking; false when `to` is gone.
bool pump(Pipe& p) {
  char buf[64 * 1024];
  while (p.open && p.pending.size() < sizeof buf) {
    const ssize_t n = ::read(p.from, buf, sizeof buf);
    if (n > 0) {
      p.pending.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) p.open = false;
    break;
  }
  while (!p.pending.empty()) {
    const ssize_t w = ::write(p.to, p.pending.data(), p.pending.size());  // SIGPIPE is ignored (main.cpp)
    if (w > 0) {
      p.pending.erase(0, static_cast<std::size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    return w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

}  // namespace

int run_bridge(Session& session) {
  common::UniqueFd socket =
      open_supd_socket(session.paths, session.limits.connect, session.start_hint, session.note(), session.env);
  const NonBlocking sock(socket.get()), in(STDIN_FILENO), out(STDOUT_FILENO);
  Pipe up{STDIN_FILENO, socket.get(), {}, true};
  Pipe down{socket.get(), STDOUT_FILENO, {}, true};
  bool shut = false;
  for (;;) {
    if (!pump(down)) return kOk;  // nobody reads our stdout any more
    if (!down.open && down.pending.empty()) return kOk;  // supd closed: all it said is out
    if (!pump(up)) return kOk;    // supd is gone
    if (!up.open && up.pending.empty() && !shut) {
      ::shutdown(socket.get(), SHUT_WR);  // our client is done asking; supd still answers
      shut = true;
    }
    pollfd fds[4];
    nfds_t n = 0;
    if (up.open && up.pending.empty()) fds[n++] = {up.from, POLLIN, 0};
    if (!up.pending.empty()) fds[n++] = {up.to, POLLOUT, 0};
    if (down.open && down.pending.empty()) fds[n++] = {down.from, POLLIN, 0};
    if (!down.pending.empty()) fds[n++] = {down.to, POLLOUT, 0};
    if (::poll(fds, n, -1) < 0 && errno != EINTR) return session.fail(kFailed, "bridge: poll failed");
  }
}

}  // namespace supd::ctl
