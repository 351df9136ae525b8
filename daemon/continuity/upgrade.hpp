// `supctl upgrade`: supd re-executes itself in place (same pid, so the jobs stay its children
// and nothing restarts), from the binary now at its path (a new version installed over the old
// one), with the same arguments.
//
// What crosses the exec: the listening control socket and the lock (their fds, close-on-exec
// cleared for the exec only), the client's connection (the new supd answers it), and, in
// SUPD_UPGRADE (read and unset before anything else), the state of jobs that have no process
// (stopped, exited, fatal: state, last exit, restarts), so that a job the user stopped is not
// autostarted by the new supd. Jobs with a process are found again like after a crash: by their
// records (adoption.hpp) and their output pipes from the fd holder (fd_holder.hpp), or, under
// systemd, handed across the exec (fd_store.hpp).
//
// Before the exec, the new binary must pass `supd --check` on the config (run beside the loop,
// daemon/continuity/upgrade_check.hpp); a failed check or a failed exec answers the client
// with an error and supd runs on unchanged.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/clock.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/control/notify.hpp"
#include "daemon/continuity/upgrade_check.hpp"
#include "daemon/output/output.hpp"
#include "daemon/core/pipe_keeper.hpp"
#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

class Adoption;

inline constexpr const char* kUpgradeVariable = "SUPD_UPGRADE";

// What the old supd hands the new one (JSON in SUPD_UPGRADE).
struct Handover {
  int listen_fd = -1;
  int lock_fd = -1;
  bool socket_from_systemd = false;
  int client_fd = -1;
  std::uint64_t request_id = 0;
  // The old supd's working directory ("/" once detached): the exec runs from the directory
  // supd was started in, so that relative paths in its arguments mean what they meant, and the
  // new supd returns here once it has resolved them.
  std::string cwd;
  std::string start_cwd;  // handed on, for the next upgrade
  struct JobState {
    std::string name;
    std::string state;  // stopped, exited, fatal (jobs without a process)
    std::optional<common::ExitStatus> last_exit;
    int spawns = 0;
    std::string error;
  };
  std::vector<JobState> jobs;  // only jobs without a process; the others are adopted
  // Output pipes handed across the exec itself (systemd's fd store does not see an exec);
  // empty with the fd holder, which keeps them meanwhile.
  std::vector<HandedPipe> pipes;
  // The RLIMIT_NOFILE soft limit the first supd started with: the jobs' limit, not the raised one.
  std::optional<std::uint64_t> nofile_soft;
};

std::string encode_handover(const Handover& h);
std::optional<Handover> decode_handover(const std::string& text);

// Reads and unsets SUPD_UPGRADE: set only in a supd that an upgrade exec'd.
std::optional<Handover> take_handover();

// Start-up of the new supd: jobs without a process get their old state back (and are left out
// of the autostart); the others autostart as usual (adopted ones are running already).
void apply_handover_and_autostart(Supervisor& sup, const std::optional<Handover>& handover, TimePoint now);
// Answers the `upgrade` request on the inherited client connection, then closes it.
void answer_upgrade_client(const Handover& h, std::size_t adopted);

struct UpgradeContext {
  std::vector<std::string> argv;  // supd's own command line
  std::string start_cwd;          // where it was started (before --detach went to /)
  int listen_fd = -1;
  int lock_fd = -1;
  bool socket_from_systemd = false;
  std::string config_path;
  SystemdEnvironment systemd;
};

// `upgrade` as steps of the loop, run after every event: a request is taken and checked (no
// job stopping, the pipes kept), then the new binary's check runs as a side child while supd
// serves on; once it passed, and nothing changed meanwhile, supd execs. A refusal or a failed
// exec answers the client with an error, and supd runs on unchanged.
class Upgrader {
public:
  Upgrader(asio::io_context& io, SideChildren& children, EventHub& hub, Handlers& handlers, Supervisor& sup,
           OutputCapture& output, Adoption& adoption, PipeKeeper& keeper, UpgradeContext context);

  void step(TimePoint now);  // after every event (EventLoop::AfterEvent::upgrade)

private:
  std::optional<std::string> blocker() const;  // why an upgrade cannot happen now
  void refuse(const std::string& why);
  void exec(TimePoint now);

  Handlers& handlers_;
  Supervisor& sup_;
  OutputCapture& output_;
  Adoption& adoption_;
  PipeKeeper& keeper_;
  const UpgradeContext context_;
  UpgradeCheck check_;
  std::optional<Handlers::PendingUpgrade> request_;  // taken, its binary being checked
  std::string binary_;
};

}  // namespace supd::daemon
