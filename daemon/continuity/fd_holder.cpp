#include "daemon/continuity/fd_holder.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>

#include <spdlog/spdlog.h>

#include "common/fd_passing.hpp"
#include "common/sys_error.hpp"
#include "daemon/continuity/job_record.hpp"
#include "daemon/proc_title.hpp"

namespace supd::daemon {
namespace {

using common::inode_of;
using common::UniqueFd;
namespace fs = std::filesystem;

constexpr std::size_t kMaxMessage = 8192;

std::optional<sockaddr_un> address_of(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string s = path.string();
  if (s.size() >= sizeof addr.sun_path) return std::nullopt;
  std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
  return addr;
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

// True while /proc shows `pid` neither gone nor a zombie.
bool running(pid_t pid) {
  const auto stat = read_proc_stat_line(pid);
  if (!stat) return false;
  const auto st = parse_stat_state(*stat);
  return !st || (st->state != 'Z' && st->state != 'X');
}

// Without a pidfd (kernels before 5.3): the holder's exit closes our connection, then its
// process turns zombie a moment later; `supctl shutdown` promises it is gone when supd is.
bool wait_holder_gone(int conn, pid_t pid) {
  if (!wait_readable(conn, 2000)) return false;
  if (pid <= 0) return true;
  for (int i = 0; i < 2000 && running(pid); ++i) ::usleep(1000);
  return !running(pid);
}

std::vector<std::string> split_fields(const char* data, std::size_t n) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= n; ++i)
    if (i == n || data[i] == '\0') {
      out.emplace_back(data + start, i - start);
      start = i + 1;
    }
  return out;
}

std::string join_fields(std::initializer_list<std::string> fields) {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out.push_back('\0');
    out += f;
  }
  return out;
}

// One message, with at most one fd attached. false on any failure.
bool send_message(int sock, const std::string& text, int fd) { return common::send_with_fd(sock, text, fd); }

// One message and the fd it carries (if any). nullopt at EOF or on error.
std::optional<std::string> recv_message(int sock, UniqueFd& fd) {
  char buf[kMaxMessage];
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return std::nullopt;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int received = -1;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (i == 0 && !fd) fd.reset(received);
      else ::close(received);  // never more than one is sent; never leak extras
    }
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

// The holder greets each connection with "HELLO <its pid>"; 0 when it does not in time.
pid_t read_hello(int sock) {
  pollfd p{sock, POLLIN, 0};
  if (::poll(&p, 1, 2000) <= 0) return 0;
  UniqueFd none;
  const auto msg = recv_message(sock, none);
  if (!msg) return 0;
  const auto f = split_fields(msg->data(), msg->size());
  if (f.size() != 2 || f[0] != "HELLO") return 0;
  return static_cast<pid_t>(std::strtol(f[1].c_str(), nullptr, 10));
}

}  // namespace

fs::path fd_holder_path_for(const fs::path& socket) { return fs::path(socket.string() + ".fds"); }

// ---- supd's side ---------------------------------------------------------------------------

FdHolder::~FdHolder() = default;

bool FdHolder::connect_existing() {
  const auto addr = address_of(path_);
  if (!addr) return false;
  UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s || ::connect(s.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) return false;
  // Only a holder of our own user: the dir is ours, but check the peer all the same.
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(s.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != ::geteuid()) return false;
  const pid_t pid = read_hello(s.get());  // SO_PEERCRED names who listen()ed: the supd that forked it
  if (pid <= 0) return false;
  pid_ = pid;
  conn_ = std::move(s);
  return true;
}

bool FdHolder::start_new() {
  const auto addr = address_of(path_);
  if (!addr) return false;
  ::unlink(path_.c_str());  // a holder that died left its socket file
  UniqueFd listener(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!listener) return false;
  const mode_t old_mask = ::umask(0177);
  const int rc = ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  ::umask(old_mask);
  if (rc != 0 || ::listen(listener.get(), 16) != 0) return false;
  // Connected before the fork: the holder finds this connection waiting and never sees an
  // empty start, so it cannot exit before supd's first message.
  UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s || ::connect(s.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) return false;
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);  // no handler of supd's runs in the holder
  const pid_t pid = ::fork();
  if (pid == 0) run_fd_holder(listener.release(), path_);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return false;
  if (read_hello(s.get()) != pid) return false;
  pid_ = pid;
  conn_ = std::move(s);
  spdlog::info("started the fd holder (pid {}) on {}: job output pipes outlive supd", pid, path_.string());
  return true;
}

bool FdHolder::ensure_connected(bool start) {
  if (conn_) return true;
  if (connect_existing()) return true;
  return start && start_new();
}

bool FdHolder::send(const std::string& message, int fd) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!ensure_connected(true)) break;
    if (send_message(conn_.get(), message, fd)) return true;
    conn_.reset();  // the holder died (or was exiting): start another and try once more
    held_.clear();
  }
  if (!failed_logged_)
    spdlog::error("cannot reach or start the fd holder on {}: {}; job output pipes will not outlive supd",
                  path_.string(), common::errno_message(errno));
  failed_logged_ = true;
  return false;
}

std::vector<HeldPipe> FdHolder::take_all() {
  std::vector<HeldPipe> out;
  if (!ensure_connected(false)) return out;
  if (!send_message(conn_.get(), "TAKE", -1)) {
    conn_.reset();
    return out;
  }
  for (;;) {
    UniqueFd fd;
    const auto msg = recv_message(conn_.get(), fd);
    if (!msg) {  // the holder went away mid-answer (it was exiting): nothing it held is lost
      conn_.reset();
      break;
    }
    const auto f = split_fields(msg->data(), msg->size());
    if (f.empty() || f[0] == "END") break;
    if (f.size() != 4 || f[0] != "FD" || !fd) continue;
    held_.insert(inode_of(fd.get()));
    out.push_back({f[1], f[2], std::move(fd)});
  }
  if (!out.empty()) spdlog::info("took {} output pipe(s) back from the fd holder (pid {})", out.size(), pid_);
  return out;
}

void FdHolder::opened(const std::string& job, const fs::path& log_path, int pipe_fd) {
  const ino_t ino = inode_of(pipe_fd);
  if (held_.count(ino) != 0) return;  // taken back from the holder: it has it already
  if (send(join_fields({"PUT", job, log_path.string()}), pipe_fd)) held_.insert(ino);
}

void FdHolder::closed(int pipe_fd) {
  const ino_t ino = inode_of(pipe_fd);
  if (held_.erase(ino) == 0 || !conn_) return;
  if (!send_message(conn_.get(), join_fields({"DROP", std::to_string(ino)}), -1)) conn_.reset();
}

void FdHolder::quit() {
  if (!conn_) return;
  const pid_t pid = pid_;
  UniqueFd pidfd(pid > 0 ? static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)) : -1);
  send_message(conn_.get(), "QUIT", -1);
  const bool exited = pidfd ? wait_readable(pidfd.get(), 2000) : wait_holder_gone(conn_.get(), pid);
  conn_.reset();
  held_.clear();
  if (!exited) spdlog::warn("the fd holder (pid {}) did not exit after QUIT", pid);
}

void hand_to_holder(const fs::path& path, std::vector<HeldPipe> pipes) {
  if (pipes.empty()) return;
  FdHolder holder(path);
  for (const auto& p : pipes) holder.opened(p.job, p.log_path, p.fd.get());
  holder.disconnect();  // it keeps them for the next supd
  spdlog::info("handed {} output pipe(s) to the fd holder: systemd's fd store closes with the unit", pipes.size());
}

std::vector<HeldPipe> take_from_holder(const fs::path& path) {
  FdHolder holder(path);
  auto pipes = holder.take_all();  // our own duplicates: the holder's copies may go
  holder.quit();
  return pipes;
}

// ---- the holder ----------------------------------------------------------------------------

void run_fd_holder(int listen_fd, const fs::path& path) {
  // Nothing of supd's: fds 0-2 to /dev/null (a caller waiting for supd's stdout to close must
  // not wait for us), every other fd closed but the listener.
  const int moved = ::fcntl(listen_fd, F_DUPFD_CLOEXEC, 3);
  const int devnull = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) ::dup2(devnull, fd);
  const int listener = ::dup3(moved, 3, O_CLOEXEC) == 3 ? 3 : moved;
  ::syscall(SYS_close_range, 4U, ~0U, 0U);
  ::setsid();  // Ctrl-C in supd's terminal, or its session's SIGHUP, must not reach us
  ::prctl(PR_SET_NAME, "supd-fdholder");  // comm, 15 bytes at most; tests find it by this
  set_proc_title("supd: fd holder");       // what `ps` shows: not a second supd
  for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2}) ::signal(sig, SIG_IGN);
  for (int sig : {SIGTERM, SIGCHLD, SIGALRM}) ::signal(sig, SIG_DFL);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct stat own {};  // the socket file as bound just before the fork: unlinked at exit if still ours
  ::stat(path.c_str(), &own);

  struct Held {
    std::string job;
    std::string path;
    int fd;
  };
  std::map<ino_t, Held> held;
  std::vector<int> conns;
  bool quit = false;
  // supd connected before forking us, so the first poll finds its connection waiting: the
  // exit test comes after each round, never before the first.
  for (;;) {
    std::vector<pollfd> fds{{listener, POLLIN, 0}};
    for (int c : conns) fds.push_back({c, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[0].revents & POLLIN) {
      const int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == ::geteuid() &&
            send_message(c, join_fields({"HELLO", std::to_string(::getpid())}), -1))
          conns.push_back(c);
        else
          ::close(c);
      }
    }
    std::vector<int> gone;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const int c = fds[i].fd;
      UniqueFd fd;
      const auto msg = recv_message(c, fd);
      if (!msg) {
        gone.push_back(c);
        continue;
      }
      const auto f = split_fields(msg->data(), msg->size());
      if (f[0] == "PUT" && f.size() == 3 && fd) {
        const ino_t ino = inode_of(fd.get());
        if (auto it = held.find(ino); it != held.end()) ::close(it->second.fd);
        held[ino] = {f[1], f[2], fd.release()};
      } else if (f[0] == "DROP" && f.size() == 2) {
        const auto it = held.find(static_cast<ino_t>(std::strtoull(f[1].c_str(), nullptr, 10)));
        if (it != held.end()) {
          ::close(it->second.fd);
          held.erase(it);
        }
      } else if (f[0] == "TAKE") {
        bool ok = true;
        for (const auto& [ino, h] : held)
          ok = ok && send_message(c, join_fields({"FD", h.job, h.path, std::to_string(ino)}), h.fd);
        if (!ok || !send_message(c, "END", -1)) gone.push_back(c);
      } else if (f[0] == "QUIT") {
        quit = true;
      }
    }
    for (int c : gone) {
      ::close(c);
      std::erase(conns, c);
    }
    if (quit || (held.empty() && conns.empty())) {
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && st.st_ino == own.st_ino && st.st_dev == own.st_dev)
        ::unlink(path.c_str());
      ::_exit(0);
    }
  }
}

}  // namespace supd::daemon
