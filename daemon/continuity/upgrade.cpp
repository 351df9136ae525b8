#include "daemon/continuity/upgrade.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/protocol.hpp"
#include "common/sys_error.hpp"
#include "daemon/continuity/adoption.hpp"
#include "daemon/process/fd_limit.hpp"

extern char** environ;

namespace supd::daemon {
namespace {

using json = nlohmann::json;
using protocol::ErrorCode;

constexpr auto kCheckTimeout = std::chrono::seconds(10);

void set_cloexec(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC));
}

std::optional<JobState> state_from(std::string_view s) {
  for (auto st : {JobState::Stopped, JobState::Exited, JobState::Fatal, JobState::Backoff})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

// The binary at the path supd was started from: after an install over it, the new one.
std::string own_binary() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  std::string path(buf, static_cast<std::size_t>(n));
  constexpr std::string_view kDeleted = " (deleted)";
  if (path.ends_with(kDeleted)) path.resize(path.size() - kDeleted.size());
  return path;
}

// Runs `binary --check --config FILE` (or --version without a config file): "" when it
// passed, else what went wrong, in one line.
std::string preflight(const std::string& binary, const std::string& config) {
  common::Pipe out;
  try {
    out = common::make_pipe();
  } catch (const std::exception& e) {
    return e.what();
  }
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, out.write.get(), 2);
  std::vector<std::string> args{binary};
  if (!config.empty() && ::access(config.c_str(), F_OK) == 0) args.insert(args.end(), {"--check", "--config", config});
  else args.push_back("--version");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  out.write.reset();
  if (rc != 0) return fmt::format("cannot run {}: {}", binary, common::errno_message(rc));
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + kCheckTimeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{out.read.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
      ::kill(pid, SIGKILL);
      text = "timed out";
      break;
    }
    char buf[1024];
    const ssize_t n = ::read(out.read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (text.size() < 4096) text.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  const auto first = text.substr(0, text.find('\n'));
  return fmt::format("{} {} failed ({}){}{}", binary, args.size() > 2 ? "--check" : "--version",
                     common::describe(common::ExitStatus::from_wait(status)), first.empty() ? "" : ": ", first);
}

}  // namespace

std::string encode_handover(const Handover& h) {
  json jobs = json::array();
  for (const auto& j : h.jobs) {
    json row = {{"name", j.name}, {"state", j.state}, {"spawns", j.spawns}, {"error", j.error}};
    if (j.last_exit) {
      const auto& e = *j.last_exit;
      row["last_exit"] = {{"signaled", e.signaled}, {"code", e.code}, {"signal", e.signal},
                          {"core_dumped", e.core_dumped}, {"unknown", e.unknown}};
    }
    jobs.push_back(std::move(row));
  }
  json pipes = json::array();
  for (const auto& p : h.pipes) pipes.push_back({{"job", p.job}, {"log", p.log_path}, {"fd", p.fd}});
  return json{{"listen_fd", h.listen_fd}, {"lock_fd", h.lock_fd}, {"socket_from_systemd", h.socket_from_systemd},
              {"client_fd", h.client_fd}, {"request_id", h.request_id}, {"cwd", h.cwd}, {"start_cwd", h.start_cwd},
              {"jobs", std::move(jobs)}, {"pipes", std::move(pipes)},
              {"nofile_soft", h.nofile_soft ? json(*h.nofile_soft) : json(nullptr)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<Handover> decode_handover(const std::string& text) {
  try {
    const json doc = json::parse(text);
    Handover h;
    h.listen_fd = doc.at("listen_fd").get<int>();
    h.lock_fd = doc.at("lock_fd").get<int>();
    h.socket_from_systemd = doc.at("socket_from_systemd").get<bool>();
    h.client_fd = doc.at("client_fd").get<int>();
    h.request_id = doc.at("request_id").get<std::uint64_t>();
    h.cwd = doc.value("cwd", std::string());
    h.start_cwd = doc.value("start_cwd", std::string());
    for (const auto& row : doc.at("jobs")) {
      Handover::JobState j;
      j.name = row.at("name").get<std::string>();
      j.state = row.at("state").get<std::string>();
      j.spawns = row.at("spawns").get<int>();
      j.error = row.at("error").get<std::string>();
      if (const auto it = row.find("last_exit"); it != row.end()) {
        common::ExitStatus e;
        e.signaled = it->at("signaled").get<bool>();
        e.code = it->at("code").get<int>();
        e.signal = it->at("signal").get<int>();
        e.core_dumped = it->at("core_dumped").get<bool>();
        e.unknown = it->at("unknown").get<bool>();
        j.last_exit = e;
      }
      h.jobs.push_back(std::move(j));
    }
    if (const auto it = doc.find("pipes"); it != doc.end())
      for (const auto& row : *it)
        h.pipes.push_back({row.at("job").get<std::string>(), row.at("log").get<std::string>(), row.at("fd").get<int>()});
    if (const auto it = doc.find("nofile_soft"); it != doc.end() && !it->is_null())
      h.nofile_soft = it->get<std::uint64_t>();
    return h;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<Handover> take_handover() {
  const char* text = std::getenv(kUpgradeVariable);
  if (text == nullptr) return std::nullopt;
  auto h = decode_handover(text);
  ::unsetenv(kUpgradeVariable);  // no job may inherit it
  if (!h) {
    std::fprintf(stderr, "supd: ignoring an unreadable %s\n", kUpgradeVariable);
    return std::nullopt;
  }
  for (int fd : {h->listen_fd, h->lock_fd, h->client_fd})
    if (fd >= 0) set_cloexec(fd, true);
  for (const auto& p : h->pipes) set_cloexec(p.fd, true);
  return h;
}

void apply_handover_and_autostart(Supervisor& sup, const std::optional<Handover>& handover, TimePoint now) {
  if (!handover) return sup.start_autostart_jobs(now);
  std::vector<std::string> handed;
  for (const auto& j : handover->jobs) {
    const Job* job = sup.find(j.name);
    const auto state = state_from(j.state);
    if (job == nullptr || job->rt.main_alive || !state) continue;
    handed.push_back(j.name);
    sup.restore(*job, {*state, j.spawns, j.last_exit, j.error}, now);  // backoff: started now
  }
  for (const auto& job : sup.jobs())
    if (job.spec.autostart && std::find(handed.begin(), handed.end(), job.spec.name) == handed.end())
      sup.start(job, Origin::supd(), now);
}

void answer_upgrade_client(const Handover& h, std::size_t adopted) {
  if (h.client_fd < 0) return;
  const std::string line = protocol::encode_response(protocol::reply(
      h.request_id, protocol::Upgrade::Reply{::getpid(), SUPD_VERSION, static_cast<int>(adopted)}));
  std::size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(h.client_fd, line.data() + off, line.size() - off);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{h.client_fd, POLLOUT, 0};
      if (::poll(&p, 1, 2000) <= 0) break;
    } else {
      break;  // the client is gone; the upgrade happened all the same
    }
  }
  ::close(h.client_fd);
  spdlog::info("upgrade done: supd {} runs on as pid {}, {} job(s) kept", SUPD_VERSION, ::getpid(), adopted);
}

void run_pending_upgrade(Handlers& handlers, Supervisor& sup, OutputCapture& output, Adoption& adoption,
                         PipeKeeper& keeper, const UpgradeContext& ctx, TimePoint now) {
  auto req = handlers.take_upgrade();
  if (!req) return;
  const auto refuse = [&](const std::string& why) {
    spdlog::error("upgrade refused: {}", why);
    req->reply(protocol::encode_error(req->id, {ErrorCode::UpgradeFailed, why}));
  };
  if (sup.shutting_down()) return refuse("supd is shutting down");
  for (const auto& job : sup.jobs())
    if (job.rt.state == JobState::Stopping)
      return refuse(fmt::format("job '{}' is stopping; upgrade once it has stopped", job.spec.name));
  if (output.open_streams() > 0 && !keeper.keeps_pipes())
    return refuse("nothing keeps the jobs' output pipes (the fd holder is not running), so they would not survive the exec; "
                  "see supd's log");
  const std::string binary = own_binary();
  if (const auto why = preflight(binary, ctx.config_path); !why.empty())
    return refuse(why + "; supd runs on unchanged");

  adoption.sync(now);  // every process has its record
  Handover h;
  h.listen_fd = ctx.listen_fd;
  h.lock_fd = ctx.lock_fd;
  h.socket_from_systemd = ctx.socket_from_systemd;
  h.client_fd = req->client_fd;
  h.request_id = req->id;
  h.start_cwd = ctx.start_cwd;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) != nullptr) h.cwd = cwd;
  for (const auto& job : sup.jobs()) {
    output.drain(job.spec.name);  // what waits in a pipe after this goes to the next supd
    if (job.rt.main_alive) continue;
    h.jobs.push_back({job.spec.name, std::string(to_string(job.rt.state)), job.postmortem.last_exit, job.life.spawns,
                      job.postmortem.error});
  }
  h.pipes = keeper.pipes_for_exec();
  h.nofile_soft = original_fd_soft_limit();
  ::setenv(kUpgradeVariable, encode_handover(h).c_str(), 1);
  if (!ctx.systemd.notify_socket.empty()) ::setenv("NOTIFY_SOCKET", ctx.systemd.notify_socket.c_str(), 1);
  if (ctx.systemd.watchdog) {
    ::setenv("WATCHDOG_USEC", std::to_string(ctx.systemd.watchdog->count()).c_str(), 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  }
  const int fds[] = {h.listen_fd, h.lock_fd, h.client_fd};
  for (int fd : fds) set_cloexec(fd, false);
  std::vector<std::string> args = ctx.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  spdlog::info("upgrading: exec {} with {} job(s) running", binary, sup.jobs().size() - h.jobs.size());
  keeper.disconnect();  // it keeps the pipes; the new supd takes them back
  if (!ctx.start_cwd.empty() && ::chdir(ctx.start_cwd.c_str()) != 0)
    spdlog::warn("upgrade: cannot return to {} for the exec; relative paths in supd's arguments may not resolve",
                 ctx.start_cwd);
  ::execv(binary.c_str(), argv.data());

  const int err = errno;  // still here: the old binary runs on
  if (!h.cwd.empty() && ::chdir(h.cwd.c_str()) != 0) spdlog::warn("upgrade: cannot return to {}", h.cwd);
  for (int fd : fds) set_cloexec(fd, true);
  for (const auto& p : h.pipes) set_cloexec(p.fd, true);
  for (const char* v : {kUpgradeVariable, "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) ::unsetenv(v);
  refuse(fmt::format("exec {}: {}; supd runs on unchanged", binary, common::errno_message(err)));
}

}  // namespace supd::daemon
