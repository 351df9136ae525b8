// ready = "notify": one SOCK_DGRAM Unix socket per notify job, under <control socket>.notify/
// (a 0700 directory beside the control socket), read on the event loop with SO_PASSCRED. A
// datagram counts only when its sender is the job's main process or in its process group;
// READY=1 makes a starting job running, STATUS=... is kept for `status --json`.
#pragma once
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "daemon/core/event_hub.hpp"
#include "daemon/core/ready_channels.hpp"
#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

std::filesystem::path notify_dir_for(const std::filesystem::path& control_socket);

// What one sd_notify datagram says, as far as supd cares ("READY=1\nSTATUS=up\n").
struct NotifyMessage {
  bool ready = false;
  std::optional<std::string> status;
};
NotifyMessage parse_notify_message(std::string_view text);

// True when `sender` belongs to the job: its main process, or any process in its group (a
// daemon's worker that reports for it). A sender that has exited and been reaped already
// cannot be placed and does not count.
bool sender_in_job(pid_t sender, pid_t main_pid, pid_t pgid);

class ReadyListener final : public ReadyChannels {
public:
  // Registers itself as the supervisor's ReadyChannels; READY=1 and other news go to `hub`.
  ReadyListener(asio::io_context& io, Supervisor& sup, EventHub& hub, std::filesystem::path dir);
  ~ReadyListener() override;
  ReadyListener(const ReadyListener&) = delete;
  ReadyListener& operator=(const ReadyListener&) = delete;

  std::string open(const std::string& job, std::string& error) override;
  void close(const std::string& job) override;
  // Once the shutdown is complete: its waits would keep io_context::run() from returning.
  void close_all();

private:
  struct Channel {
    std::string job;
    std::filesystem::path path;
    asio::posix::stream_descriptor socket;
    bool warned = false;  // one warning per socket about foreign senders, not one per datagram
  };
  void wait(const std::shared_ptr<Channel>& ch);
  void on_readable(const std::shared_ptr<Channel>& ch);
  void handle(Channel& ch, std::string_view text, pid_t pid, uid_t uid);
  bool make_dir(std::string& error);

  asio::io_context& io_;
  Supervisor& sup_;
  std::filesystem::path dir_;
  EventHub& hub_;
  std::map<std::string, std::shared_ptr<Channel>> channels_;
};

}  // namespace supd::daemon
