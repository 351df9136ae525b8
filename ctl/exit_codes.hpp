// supctl's exit codes: the contract scripts rely on (DESIGN.md, "Exit codes").
// Like swaymsg, "could not talk to supd" (3) is kept apart from "supd said no" (1).
#pragma once

namespace supd::ctl {

inline constexpr int kOk = 0;           // done
inline constexpr int kFailed = 1;       // supd refused, or the action failed or timed out
inline constexpr int kUsage = 2;        // bad command line: unknown command/signal, missing argument
inline constexpr int kUnreachable = 3;  // supd is not running, not answering, or hung up
inline constexpr int kNoMatch = 4;      // only `signal --expect`: delivered, nothing matched in time

}  // namespace supd::ctl
