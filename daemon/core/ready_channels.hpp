// The seam between the supervisor and the sockets behind ready = "notify": before spawning a
// notify job the supervisor asks for its NOTIFY_SOCKET. ReadyListener makes them for real (on
// the event loop); unit tests may leave it unset, and then a notify job cannot be spawned.
#pragma once
#include <string>

namespace supd::daemon {

class ReadyChannels {
public:
  virtual ~ReadyChannels() = default;
  // The path for the job's NOTIFY_SOCKET, bound and read from now on (once made, the same
  // socket for every later spawn); "" with `error` set when it cannot be made.
  virtual std::string open(const std::string& job, std::string& error) = 0;
  // The job is gone or no longer uses notify: close and unlink its socket (if any).
  virtual void close(const std::string& job) = 0;
};

}  // namespace supd::daemon
