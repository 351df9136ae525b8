#include "daemon/control/notify.hpp"

#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <cstring>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "common/fd_passing.hpp"
#include "common/sys_error.hpp"

namespace supd::daemon {
namespace {

// NOTIFY_SOCKET is a path, or an abstract name written with a leading '@'.
bool make_address(const std::string& name, sockaddr_un& addr, socklen_t& len) {
  addr = sockaddr_un{};
  addr.sun_family = AF_UNIX;
  if (name.empty() || (name[0] != '/' && name[0] != '@') || name.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, name.data(), name.size());
  if (name[0] == '@') addr.sun_path[0] = '\0';
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  return true;
}

// libsystemd, loaded only when systemd passed something to read (WATCHDOG_USEC, LISTEN_FDS):
// started by hand, supd maps neither it nor the six libraries it pulls in (about 1 MiB of its
// memory; docs/design-decisions.md, "supd's memory").
struct Libsystemd {
  decltype(&::sd_watchdog_enabled) watchdog_enabled = nullptr;
  decltype(&::sd_listen_fds_with_names) listen_fds_with_names = nullptr;
};

std::optional<Libsystemd> load_libsystemd() {
  void* lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);  // kept for supd's life
  if (lib == nullptr) {
    const char* why = ::dlerror();
    spdlog::warn("systemd passed WATCHDOG_USEC or LISTEN_FDS but libsystemd.so.0 cannot be loaded ({}); "
                 "ignoring them: install libsystemd0",
                 why != nullptr ? why : "unknown error");
    return std::nullopt;
  }
  Libsystemd api;
  api.watchdog_enabled = reinterpret_cast<decltype(api.watchdog_enabled)>(::dlsym(lib, "sd_watchdog_enabled"));
  api.listen_fds_with_names =
      reinterpret_cast<decltype(api.listen_fds_with_names)>(::dlsym(lib, "sd_listen_fds_with_names"));
  if (api.watchdog_enabled == nullptr || api.listen_fds_with_names == nullptr) {
    spdlog::warn("libsystemd.so.0 lacks sd_watchdog_enabled or sd_listen_fds_with_names; ignoring "
                 "WATCHDOG_USEC and LISTEN_FDS");
    return std::nullopt;
  }
  return api;
}

}  // namespace

SystemdEnvironment take_systemd_environment() {
  SystemdEnvironment env;
  if (const char* s = std::getenv("NOTIFY_SOCKET")) env.notify_socket = s;
  std::optional<Libsystemd> sd;
  if (std::getenv("WATCHDOG_USEC") != nullptr || std::getenv("LISTEN_FDS") != nullptr) sd = load_libsystemd();
  std::uint64_t usec = 0;
  if (sd && sd->watchdog_enabled(/*unset_environment=*/1, &usec) > 0 && usec > 0)
    env.watchdog = std::chrono::microseconds(usec);
  char** names = nullptr;
  const int n = sd ? sd->listen_fds_with_names(/*unset_environment=*/1, &names) : 0;  // also close-on-exec
  for (int i = 0; i < n; ++i) {
    const std::string_view name = names != nullptr && names[i] != nullptr ? names[i] : "";
    if (name.starts_with(kStoredPipePrefix)) env.stored_fds.emplace_back(std::string(name), SD_LISTEN_FDS_START + i);
    else env.listen_fds.push_back(SD_LISTEN_FDS_START + i);
  }
  if (names != nullptr) {
    for (int i = 0; i < n; ++i) std::free(names[i]);
    std::free(names);
  }
  for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID",
                           "LISTEN_FDNAMES"})
    ::unsetenv(name);
  return env;
}

Notifier::Notifier(asio::io_context& io, const SystemdEnvironment& env)
    : address_(env.notify_socket), watchdog_(env.watchdog), timer_(io) {
  if (address_.empty()) return;
  sockaddr_un addr{};
  socklen_t len = 0;
  if (!make_address(address_, addr, len)) {
    spdlog::warn("ignoring NOTIFY_SOCKET={}: not a path or an abstract socket name", address_);
    return;
  }
  sock_ = common::UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!sock_) {
    spdlog::warn("cannot talk to systemd: socket: {}", common::errno_message(errno));
    return;
  }
  if (watchdog_) {
    spdlog::info("systemd watchdog every {} ms; pinging at half of it", watchdog_->count() / 1000);
    send("WATCHDOG=1");
    arm_watchdog();
  }
}

bool Notifier::send(std::string_view message) { return send_with_fd(message, -1); }

bool Notifier::send_with_fd(std::string_view message, int fd) {
  if (!sock_) return false;
  sockaddr_un addr{};
  socklen_t len = 0;
  if (!make_address(address_, addr, len)) return false;
  if (common::send_with_fd(sock_.get(), message, fd, reinterpret_cast<const sockaddr*>(&addr), len)) return true;
  if (!send_failed_logged_) {  // once: a manager that went away must not flood the log
    send_failed_logged_ = true;
    spdlog::warn("cannot notify systemd at {}: {}", address_, common::errno_message(errno));
  }
  return false;
}

void Notifier::ready(std::string_view status) {
  if (!sock_) return;
  last_status_ = std::string(status);
  send(fmt::format("READY=1\nSTATUS={}", status));
}

void Notifier::update(std::string_view status, bool shutting_down) {
  if (!sock_) return;
  if (shutting_down) stopping();
  if (status == last_status_) return;
  last_status_ = std::string(status);
  send(fmt::format("STATUS={}", status));
}

// MONOTONIC_USEC lets Type=notify-reload match this RELOADING=1 to the SIGHUP it sent
// (sd_notify(3)); Type=notify takes it as well.
void Notifier::reloading() {
  if (!sock_) return;
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<std::uint64_t>(ts.tv_sec) * 1000000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading", usec));
}

void Notifier::stopping() {
  if (!sock_ || stopping_sent_) return;
  stopping_sent_ = true;
  send("STOPPING=1");
  timer_.cancel();  // systemd stops watching; a pending timer would keep the loop alive
}

void Notifier::arm_watchdog() {
  timer_.expires_after(*watchdog_ / 2);
  timer_.async_wait([this](std::error_code ec) {
    if (ec || stopping_sent_) return;
    send("WATCHDOG=1");
    arm_watchdog();
  });
}

}  // namespace supd::daemon
