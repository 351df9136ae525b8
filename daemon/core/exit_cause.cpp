#include "daemon/core/exit_cause.hpp"

#include <csignal>

#include <fmt/format.h>

#include "common/signals.hpp"

namespace supd::daemon {

ExitCause explain_exit(const common::ExitStatus& status, const std::optional<StopRequest>& stop,
                       const std::vector<SentSignal>& sent, bool oom_killed, std::string_view oom_limit) {
  if (status.signaled) {
    const std::string sig = "SIG" + common::signal_name(status.signal);
    // The latest delivery of that very signal explains the death; another signal does not.
    for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
      if (it->signo != status.signal) continue;
      if (it->who.kind == Origin::Kind::Peer)
        return {"signal", fmt::format("{} sent with supctl signal by {}", sig, it->who.describe()), it->who};
      if (stop) {
        const bool by_person = stop->who.kind == Origin::Kind::Peer;
        return {"stop",
                fmt::format("{} sent by supd for the {}{}", sig, stop->what,
                            by_person ? " by " + stop->who.describe() : ""),
                stop->who};
      }
      return {"supd", fmt::format("{} sent by supd", sig), it->who};
    }
    if (oom_killed && status.signal == SIGKILL && !oom_limit.empty())
      return {"oom", fmt::format("the kernel's OOM killer: the job's cgroup reached {}", oom_limit), Origin::kernel()};
    if (oom_killed && status.signal == SIGKILL)
      return {"oom", "the kernel's OOM killer (oom_kill grew in supd's cgroup memory.events)", Origin::kernel()};
    return {"external", fmt::format("an external kill: {} was not sent by supd", sig), std::nullopt};
  }
  if (stop) {
    const bool by_person = stop->who.kind == Origin::Kind::Peer;
    return {"stop",
            fmt::format("the job exited on the {}{}", stop->what, by_person ? " by " + stop->who.describe() : ""),
            stop->who};
  }
  if (!sent.empty() && sent.back().who.kind == Origin::Kind::Peer)
    return {"signal",
            fmt::format("the job exited after SIG{} sent by {}", common::signal_name(sent.back().signo),
                        sent.back().who.describe()),
            sent.back().who};
  return {"self", "the job exited by itself", std::nullopt};
}

}  // namespace supd::daemon
