// One supd event (a transition, a signal sent, an exit, a spawn, a config change, something
// supd itself did), its JSON wire form, and the one line a human reads for it. Shared by supd
// (which records and logs them) and supctl (which prints them), so both say the same words.
//
//   {"seq": 17, "time": "2026-11-25T17:20:01.123Z", "job": "amsa" | null, "kind": "state",
//    "from": "running" | null, "to": "stopping" | null, "reason": "stop requested",
//    "who": {"kind": "peer", "uid": 0, "pid": 1234, "exe": "/usr/bin/supctl"} | {"kind": "supd"}
//           | {"kind": "kernel"} | null,
//    "signal": "TERM" | null, "pid": 4242 | null, "exit": {exit object} | null}
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

#include <nlohmann/json.hpp>

#include "common/exit_status.hpp"

namespace supd::common {

using WallTime = std::chrono::system_clock::time_point;

// Who caused an event: a client on the control socket, supd itself, or the kernel (an exit).
struct EventOrigin {
  enum class Kind { Peer, Supd, Kernel } kind = Kind::Supd;
  uid_t uid = 0;
  pid_t pid = 0;
  std::string exe;  // the peer's /proc/<pid>/exe when it could be read, else ""
  bool operator==(const EventOrigin&) const = default;
};

struct Event {
  std::uint64_t seq = 0;              // increasing over supd's life: the merge order
  WallTime time{};
  std::optional<std::string> job;     // nullopt: about supd itself
  std::string kind;                   // state, spawn, signal, exit, config, supd
  std::optional<std::string> from, to;  // kind "state": lower-case job states
  std::string reason;
  std::optional<EventOrigin> who;
  std::optional<std::string> signal;  // "TERM", as signal_name() spells it
  std::optional<int> pid;             // the job's process it is about
  std::optional<ExitStatus> exit;     // kind "exit"
  bool operator==(const Event&) const = default;
};

// "uid 0 pid 1234 (supctl)", "supd", "the kernel".
std::string describe(const EventOrigin& who);

// The line without a time stamp (supd's log adds its own):
// "amsa running -> stopping: stop requested by uid 0 pid 1234 (supctl)",
// "amsa signal: SIGUSR1 to pid 4242 by uid 1000 pid 77 (supctl)", "supd signal: received SIGHUP".
std::string describe(const Event& event);

// "2026-11-25T17:20:01.123Z" (UTC, milliseconds), and back.
std::string format_utc(WallTime t);
std::optional<WallTime> parse_utc(std::string_view text);
// "2026-11-25T17:20:01.123" in the local time zone (what `supctl events` prints).
std::string format_local(WallTime t);

nlohmann::json to_json(const EventOrigin& who);  // {"kind": "peer", "uid", "pid", "exe"?}
EventOrigin origin_from_json(const nlohmann::json& j);  // throws on a malformed peer
nlohmann::json to_json(const Event& event);
std::optional<Event> event_from_json(const nlohmann::json& j) noexcept;

}  // namespace supd::common
