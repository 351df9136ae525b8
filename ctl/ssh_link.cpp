#include "ctl/ssh_link.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "common/sys_error.hpp"

extern char** environ;

namespace supd::ctl {
namespace {

using Kind = ClientFailure::Kind;

// How long ssh may take to leave once it has nothing more to carry, before it is killed.
constexpr int kExitGraceMs = 2000;

std::string last_line(std::string_view text) {
  std::string_view last;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) last = line;
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  if (last.starts_with("supctl: ")) last.remove_prefix(8);  // the remote supctl's own line
  return std::string(last);
}

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

}  // namespace

SshOptions ssh_options(const common::Getenv& env, const std::optional<std::string>& socket, Timeout connect) {
  SshOptions o;
  if (const auto ssh = env("SUPCTL_SSH")) {
    std::vector<std::string> words;
    std::string word;
    for (const char c : *ssh + " ") {
      if (c == ' ' || c == '\t') {
        if (!word.empty()) words.push_back(std::exchange(word, {}));
      } else {
        word += c;
      }
    }
    if (!words.empty()) o.ssh = std::move(words);
  }
  if (const auto remote = env("SUPCTL_REMOTE")) o.remote_supctl = *remote;
  o.socket = socket;
  o.connect = connect;
  return o;
}

std::string shell_quote(std::string_view word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(word);
  std::string out = "'";
  for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> ssh_argv(const std::string& host, const SshOptions& options) {
  auto argv = options.ssh;
  long seconds = 10;
  if (options.connect) seconds = std::max<long>(1, static_cast<long>((options.connect->count() + 999) / 1000));
  for (const auto& w : {std::string("-T"), std::string("-o"), std::string("BatchMode=yes"), std::string("-o"),
                        fmt::format("ConnectTimeout={}", seconds), std::string("--"), host})
    argv.push_back(w);
  // One string: ssh hands the remote command to the remote user's shell anyway.
  std::string remote = options.remote_supctl + " bridge";
  if (options.socket) remote += " --socket " + shell_quote(*options.socket);
  argv.push_back(std::move(remote));
  return argv;
}

std::optional<ClientFailure> describe_ssh_end(int wait_status, std::string_view stderr_text) {
  const std::string line = last_line(stderr_text);
  const std::string said = line.empty() ? std::string() : fmt::format(" ({})", line);
  if (WIFSIGNALED(wait_status))
    return ClientFailure(Kind::Unreachable, fmt::format("ssh was killed by signal {}{}", WTERMSIG(wait_status), said));
  if (!WIFEXITED(wait_status)) return std::nullopt;
  switch (const int code = WEXITSTATUS(wait_status)) {
  case 0:
    if (line.empty()) return std::nullopt;
    return ClientFailure(Kind::Unreachable, line);
  case 255:  // ssh's own failure
    if (contains(line, "Permission denied") || contains(line, "Too many authentication failures"))
      return ClientFailure(Kind::Unreachable,
                           fmt::format("authentication refused{}; supctl runs ssh with BatchMode=yes, so a key "
                                       "(or an open ControlMaster) must log in without a prompt",
                                       said));
    if (contains(line, "Host key verification failed") || contains(line, "REMOTE HOST IDENTIFICATION"))
      return ClientFailure(Kind::Unreachable,
                           fmt::format("the host key could not be verified{}; connect once with plain ssh to "
                                       "check and accept it",
                                       said));
    return ClientFailure(Kind::Unreachable, fmt::format("unreachable{}; check that plain ssh reaches it", said));
  case 126:
  case 127:
    return ClientFailure(Kind::Unreachable,
                         fmt::format("no supctl on the remote PATH{}; install supctl there, in a directory on the "
                                     "PATH of a non-interactive ssh session, or set SUPCTL_REMOTE to its path",
                                     said));
  case 3:  // the remote supctl could not reach its supd: its own line says why
    return ClientFailure(Kind::Unreachable, line.empty() ? std::string("supd is not reachable there") : line);
  case 2:
    return ClientFailure(Kind::Refused, fmt::format("the remote supctl refused the bridge{}; install the same "
                                                    "supctl there",
                                                    said));
  default:
    return ClientFailure(Kind::Refused, line.empty() ? fmt::format("the remote supctl exited {}", code) : line);
  }
}

SshLink::SshLink(pid_t pid, common::UniqueFd pidfd, common::UniqueFd stderr_pipe)
    : pid_(pid), pidfd_(std::move(pidfd)), stderr_(std::move(stderr_pipe)) {}

std::pair<std::shared_ptr<SshLink>, common::UniqueFd> SshLink::open(const std::string& host,
                                                                    const SshOptions& options) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    throw ClientFailure(Kind::Unreachable, fmt::format("cannot make a socketpair for ssh ({})",
                                                       common::errno_message(errno)));
  common::UniqueFd ours(pair[0]), theirs(pair[1]);
  std::error_code ec;
  auto err = common::make_pipe(ec);
  if (ec) throw ClientFailure(Kind::Unreachable, fmt::format("cannot make a pipe for ssh ({})", ec.message()));

  const auto argv_words = ssh_argv(host, options);
  std::vector<char*> argv;
  for (const auto& w : argv_words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
  // supctl ignores SIGPIPE for itself; ssh gets the default back, and no blocked signals.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw ClientFailure(Kind::Unreachable,
                        fmt::format("cannot run {} ({}); install OpenSSH's client or set SUPCTL_SSH",
                                    argv_words.front(), common::errno_message(rc)));
  common::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  ::fcntl(err.read.get(), F_SETFL, ::fcntl(err.read.get(), F_GETFL) | O_NONBLOCK);
  std::shared_ptr<SshLink> link(new SshLink(pid, std::move(pidfd), std::move(err.read)));
  return {std::move(link), std::move(ours)};
}

void SshLink::drain_stderr() {
  char buf[4096];
  while (stderr_) {
    const ssize_t n = ::read(stderr_.get(), buf, sizeof buf);
    if (n > 0) {
      if (stderr_text_.size() < 64 * 1024) stderr_text_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || errno != EAGAIN) stderr_.reset();  // EOF: every writer is gone
    return;
  }
}

bool SshLink::wait_for_exit(int ms) {
  if (status_) return true;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    drain_stderr();
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_ || (done < 0 && errno == ECHILD)) {
      status_ = done == pid_ ? status : 0;
      drain_stderr();  // what ssh wrote just before it left
      return true;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{pidfd_.get(), POLLIN, 0}, {stderr_.get(), POLLIN, 0}};
    // Without a pidfd (an old kernel), poll in short steps.
    ::poll(fds, 2, pidfd_ ? static_cast<int>(left.count()) : std::min<int>(10, static_cast<int>(left.count())));
  }
}

std::optional<ClientFailure> SshLink::why_closed() {
  if (!wait_for_exit(kExitGraceMs)) return std::nullopt;
  return describe_ssh_end(*status_, stderr_text_);
}

SshLink::~SshLink() {
  if (wait_for_exit(kExitGraceMs)) return;
  ::kill(pid_, SIGTERM);
  if (wait_for_exit(kExitGraceMs)) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace supd::ctl
