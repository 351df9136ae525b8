#include "daemon/continuity/upgrade.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/protocol.hpp"
#include "common/sys_error.hpp"
#include "daemon/continuity/adoption.hpp"
#include "daemon/process/fd_limit.hpp"

namespace supd::daemon {
namespace {

using json = nlohmann::json;
using protocol::ErrorCode;

void set_cloexec(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC));
}

std::optional<JobState> state_from(std::string_view s) {
  for (auto st : {JobState::Stopped, JobState::Exited, JobState::Fatal, JobState::Backoff, JobState::Waiting})
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
  sup.plan_schedules(now);
  sup.queue_spawns(true);  // done a batch per loop turn, as at a start
  std::unordered_set<std::string_view> handed;
  for (const auto& j : handover->jobs) {
    const Job* job = sup.find(j.name);
    const auto state = state_from(j.state);
    if (job == nullptr || job->rt.main_alive || !state) continue;
    handed.insert(j.name);
    sup.restore(*job, {*state, j.spawns, j.last_exit, j.error}, now);  // backoff: started now
  }
  for (const auto& job : sup.jobs())
    if (job.spec.autostart && !handed.contains(job.spec.name)) sup.start(job, Origin::supd(), now);
  sup.queue_spawns(false);
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

Upgrader::Upgrader(asio::io_context& io, SideChildren& children, EventHub& hub, Handlers& handlers, Supervisor& sup,
                   OutputCapture& output, Adoption& adoption, PipeKeeper& keeper, UpgradeContext context)
    : handlers_(handlers), sup_(sup), output_(output), adoption_(adoption), keeper_(keeper),
      context_(std::move(context)), check_(io, children, hub) {}

std::optional<std::string> Upgrader::blocker() const {
  if (sup_.shutting_down()) return "supd is shutting down";
  for (const auto& job : sup_.jobs())
    if (job.rt.state == JobState::Stopping)
      return fmt::format("job '{}' is stopping; upgrade once it has stopped", job.spec.name);
  if (output_.open_streams() > 0 && !keeper_.keeps_pipes())
    return "nothing keeps the jobs' output pipes (the fd holder is not running), so they would not survive the exec; "
           "see supd's log";
  return std::nullopt;
}

void Upgrader::refuse(const std::string& why) {
  spdlog::error("upgrade refused: {}", why);
  request_->reply(protocol::encode_error(request_->id, {ErrorCode::UpgradeFailed, why}));
  request_.reset();
}

void Upgrader::step(TimePoint now) {
  if (check_.running()) {
    if (auto another = handlers_.take_upgrade())  // asked twice: the second gets what serve() says
      another->reply(protocol::encode_error(another->id, {ErrorCode::ShuttingDown,
                                                          "supd is shutting down or upgrading already"}));
    if (!sup_.shutting_down()) return;  // the check's end is an event of its own
    check_.cancel();
    return refuse("supd is shutting down");
  }
  if (!request_) {
    request_ = handlers_.take_upgrade();
    if (!request_) return;
    if (const auto why = blocker()) return refuse(*why);
    binary_ = own_binary();
    check_.start(binary_, context_.config_path);
    if (check_.running()) return;
  }
  const auto failed = check_.take_result();
  if (!failed) return;  // cannot happen: a check that is not running has its result
  if (!failed->empty()) return refuse(*failed + "; supd runs on unchanged");
  if (const auto why = blocker()) return refuse(*why);  // something changed while the check ran
  exec(now);
}

void Upgrader::exec(TimePoint now) {
  adoption_.sync(now);  // every process has its record
  Handover h;
  h.listen_fd = context_.listen_fd;
  h.lock_fd = context_.lock_fd;
  h.socket_from_systemd = context_.socket_from_systemd;
  h.client_fd = request_->client_fd;
  h.request_id = request_->id;
  h.start_cwd = context_.start_cwd;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) != nullptr) h.cwd = cwd;
  for (const auto& job : sup_.jobs()) {
    output_.drain(job.spec.name);  // what waits in a pipe after this goes to the next supd
    if (job.rt.main_alive) continue;
    h.jobs.push_back({job.spec.name, std::string(to_string(job.rt.state)), job.postmortem.last_exit, job.life.spawns,
                      job.postmortem.error});
  }
  h.pipes = keeper_.pipes_for_exec();
  h.nofile_soft = original_fd_soft_limit();
  ::setenv(kUpgradeVariable, encode_handover(h).c_str(), 1);
  if (!context_.systemd.notify_socket.empty()) ::setenv("NOTIFY_SOCKET", context_.systemd.notify_socket.c_str(), 1);
  if (context_.systemd.watchdog) {
    ::setenv("WATCHDOG_USEC", std::to_string(context_.systemd.watchdog->count()).c_str(), 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  }
  const int fds[] = {h.listen_fd, h.lock_fd, h.client_fd};
  for (int fd : fds) set_cloexec(fd, false);
  std::vector<std::string> args = context_.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  spdlog::info("upgrading: exec {} with {} job(s) running", binary_, sup_.jobs().size() - h.jobs.size());
  keeper_.disconnect();  // it keeps the pipes; the new supd takes them back
  if (!context_.start_cwd.empty() && ::chdir(context_.start_cwd.c_str()) != 0)
    spdlog::warn("upgrade: cannot return to {} for the exec; relative paths in supd's arguments may not resolve",
                 context_.start_cwd);
  ::execv(binary_.c_str(), argv.data());

  const int err = errno;  // still here: the old binary runs on
  if (!h.cwd.empty() && ::chdir(h.cwd.c_str()) != 0) spdlog::warn("upgrade: cannot return to {}", h.cwd);
  for (int fd : fds) set_cloexec(fd, true);
  for (const auto& p : h.pipes) set_cloexec(p.fd, true);
  for (const char* v : {kUpgradeVariable, "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) ::unsetenv(v);
  refuse(fmt::format("exec {}: {}; supd runs on unchanged", binary_, common::errno_message(err)));
}

}  // namespace supd::daemon
