#include "daemon/control/ready_listener.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/fd.hpp"
#include "common/sys_error.hpp"

namespace supd::daemon {
namespace {

constexpr std::size_t kMaxMessage = 4096;     // sd_notify messages are a few short lines
constexpr int kMessagesPerTurn = 64;          // a flooding job cannot hold the loop
constexpr std::size_t kMaxFds = 253;          // SCM_MAX_FD: fds sent along (FDSTORE=1) are closed

}  // namespace

std::filesystem::path notify_dir_for(const std::filesystem::path& control_socket) {
  return std::filesystem::path(control_socket.string() + ".notify");
}

NotifyMessage parse_notify_message(std::string_view text) {
  NotifyMessage m;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line == "READY=1") m.ready = true;
    else if (line.rfind("STATUS=", 0) == 0) m.status = std::string(line.substr(7));
  }
  return m;
}

bool sender_in_job(pid_t sender, pid_t main_pid, pid_t pgid) {
  if (sender <= 0) return false;  // from another pid namespace: cannot be placed
  if (sender == main_pid) return true;
  return pgid > 0 && ::getpgid(sender) == pgid;
}

ReadyListener::ReadyListener(asio::io_context& io, Supervisor& sup, EventHub& hub, std::filesystem::path dir)
    : io_(io), sup_(sup), dir_(std::move(dir)), hub_(hub) {
  sup_.set_ready_channels(this);
}

ReadyListener::~ReadyListener() {
  sup_.set_ready_channels(nullptr);
  close_all();
}

void ReadyListener::close_all() {
  for (auto& [job, ch] : channels_) {
    std::error_code ec;
    ch->socket.close(ec);  // the pending wait ends with operation_aborted
    ::unlink(ch->path.c_str());
  }
  ::rmdir(dir_.c_str());  // only if empty and there at all; best effort
  channels_.clear();
}

// The directory is what keeps other users out (a datagram socket has no peer check of its
// own): 0700, ours, not a symlink.
bool ReadyListener::make_dir(std::string& error) {
  if (::mkdir(dir_.c_str(), 0700) == 0) return true;
  if (errno != EEXIST) {
    error = fmt::format("ready = \"notify\": mkdir {}: {}", dir_.string(), common::errno_message(errno));
    return false;
  }
  struct stat st {};
  if (::lstat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
    error = fmt::format("ready = \"notify\": {} is not a directory of supd's user; remove it", dir_.string());
    return false;
  }
  if ((st.st_mode & 0777) != 0700 && ::chmod(dir_.c_str(), 0700) != 0) {
    error = fmt::format("ready = \"notify\": chmod 700 {}: {}", dir_.string(), common::errno_message(errno));
    return false;
  }
  return true;
}

std::string ReadyListener::open(const std::string& job, std::string& error) {
  if (auto it = channels_.find(job); it != channels_.end()) return it->second->path.string();
  if (!make_dir(error)) return {};
  const auto path = dir_ / job;  // a valid job name is a valid file name
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof addr.sun_path) {
    error = fmt::format("ready = \"notify\": the socket path {} is too long; use a shorter --socket path",
                        path.string());
    return {};
  }
  std::memcpy(addr.sun_path, path.c_str(), path.native().size() + 1);
  common::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const int one = 1;
  ::unlink(path.c_str());  // a stale one of an earlier supd (after an upgrade or a crash)
  if (!fd || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
    error = fmt::format("ready = \"notify\": socket {}: {}", path.string(), common::errno_message(errno));
    return {};
  }
  auto ch = std::make_shared<Channel>(Channel{job, path, asio::posix::stream_descriptor(io_, fd.release())});
  channels_[job] = ch;
  wait(ch);
  return path.string();
}

void ReadyListener::close(const std::string& job) {
  auto it = channels_.find(job);
  if (it == channels_.end()) return;
  std::error_code ec;
  it->second->socket.close(ec);  // the pending wait ends with operation_aborted
  ::unlink(it->second->path.c_str());
  channels_.erase(it);
}

void ReadyListener::wait(const std::shared_ptr<Channel>& ch) {
  ch->socket.async_wait(asio::posix::stream_descriptor::wait_read, [this, ch](std::error_code ec) {
    if (ec) return;  // closed (the job is gone) or supd is exiting
    on_readable(ch);
    hub_.changed();  // a STATUS= line shows in `status`; READY=1 went to the hub already
    if (ch->socket.is_open()) wait(ch);
  });
}

void ReadyListener::on_readable(const std::shared_ptr<Channel>& ch) {
  std::array<char, kMaxMessage> buf{};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * kMaxFds)> control{};
  for (int i = 0; i < kMessagesPerTurn && ch->socket.is_open(); ++i) {
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const ssize_t n = ::recvmsg(ch->socket.native_handle(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: read everything there was
    }
    std::optional<ucred> cred;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(ucred))) {
        ucred u{};
        std::memcpy(&u, CMSG_DATA(c), sizeof u);
        cred = u;
      } else if (c->cmsg_type == SCM_RIGHTS) {  // supd keeps no fds for jobs: close them
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t k = 0; k < count; ++k) {
          int fd = -1;
          std::memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
          if (fd >= 0) ::close(fd);
        }
      }
    }
    if (!cred || (msg.msg_flags & MSG_TRUNC) != 0) continue;  // no sender, or not a notify message
    handle(*ch, std::string_view(buf.data(), static_cast<std::size_t>(n)), cred->pid, cred->uid);
  }
}

void ReadyListener::handle(Channel& ch, std::string_view text, pid_t pid, uid_t uid) {
  const Job* job = sup_.find(ch.job);
  if (job == nullptr || !job->rt.main_alive) return;  // between runs: nobody to make ready
  if (!sender_in_job(pid, job->process.pid, job->process.pgid)) {
    if (!ch.warned) {
      ch.warned = true;
      sup_.record(job, "notify",
                  fmt::format("ignored a message on its NOTIFY_SOCKET from pid {}: not a process of the job "
                              "(further ones are ignored silently)", pid),
                  Origin::peer(uid, pid));
    }
    spdlog::debug("job {}: notify message from pid {} ignored: not in process group {}", ch.job, pid,
                  job->process.pgid);
    return;
  }
  const auto m = parse_notify_message(text);
  if (m.status) hub_.job_status_text(ch.job, *m.status);
  if (m.ready) hub_.job_ready(ch.job, Origin::peer(uid, pid));
}

}  // namespace supd::daemon
