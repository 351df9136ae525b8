// The systemd side of supd: the sd_notify protocol (READY, STATUS, RELOADING, STOPPING,
// WATCHDOG) and the listening socket systemd may pass (LISTEN_FDS). Everything here is a
// no-op when supd was not started by systemd.
//
// take_systemd_environment() reads NOTIFY_SOCKET, WATCHDOG_USEC/PID and LISTEN_FDS/PID/
// FDNAMES (sockets and, after a crash, the pipes supd stored) once, at start-up, and removes them from supd's environment so that nothing
// started later inherits them (process.cpp filters them out of the jobs' environment too).
// Messages then go to the saved socket address: libsystemd's sd_notify() reads
// NOTIFY_SOCKET anew on each call, which would no longer find it.
#pragma once
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/fd.hpp"

namespace supd::daemon {

struct SystemdEnvironment {
  std::string notify_socket;                        // empty: not Type=notify
  std::optional<std::chrono::microseconds> watchdog;  // set only when meant for this pid
  std::vector<int> listen_fds;                      // sockets systemd passed (supd.socket)
  // Pipes supd stored in systemd's fd store (FDNAME "supd-pipe-<inode>") and got back on this
  // start, after a crash: name and fd.
  std::vector<std::pair<std::string, int>> stored_fds;
};

// The FDNAME prefix of the output pipes supd keeps in systemd's fd store.
inline constexpr std::string_view kStoredPipePrefix = "supd-pipe-";

// Reads and unsets the variables. Call once, before any thread or child exists.
SystemdEnvironment take_systemd_environment();

class Notifier {
public:
  Notifier(asio::io_context& io, const SystemdEnvironment& env);
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  bool enabled() const { return static_cast<bool>(sock_); }

  void ready(std::string_view status);      // READY=1 + STATUS=; starts the watchdog pings
  void update(std::string_view status, bool shutting_down);  // after every event: only changes are sent
  void reloading();                         // RELOADING=1; ready() again when done
  void stopping();                          // STOPPING=1, once

  // The raw protocol: one datagram. Returns false (and logs once) when it could not be sent.
  bool send(std::string_view message);
  // The same with one fd attached (SCM_RIGHTS), for FDSTORE=1.
  bool send_with_fd(std::string_view message, int fd);

private:
  void arm_watchdog();

  common::UniqueFd sock_;
  std::string address_;
  std::optional<std::chrono::microseconds> watchdog_;
  asio::steady_timer timer_;
  std::string last_status_;
  bool stopping_sent_ = false;
  bool send_failed_logged_ = false;
};

}  // namespace supd::daemon
