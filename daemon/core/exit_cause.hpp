// Why a job's process ended, for `supctl why`: decided when it is reaped, from what supd knows
// of that run (the stop request and its sender, the signals supd delivered and who asked for
// them, whether the OOM killer struck). Pure: no syscalls.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/exit_status.hpp"
#include "daemon/core/origin.hpp"

namespace supd::daemon {

struct StopRequest {
  Origin who;
  std::string what;  // "stop requested", "restart requested", "shutdown of supd"
};

struct SentSignal {
  int signo = 0;
  Origin who;  // who asked: a peer (supctl signal), or supd (stop, forward, leftovers)
};

struct ExitCause {
  std::string kind;  // "stop", "signal", "supd", "oom", "external", "self"
  std::string text;  // one phrase: "SIGTERM sent by supd for the stop requested by uid 0 pid 7 (supctl)"
  std::optional<Origin> who;
};

ExitCause explain_exit(const common::ExitStatus& status, const std::optional<StopRequest>& stop,
                       const std::vector<SentSignal>& sent, bool oom_killed, std::string_view oom_limit = {});

}  // namespace supd::daemon
