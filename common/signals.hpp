// The one table of signal names and numbers, shared by the config, the daemon and supctl.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace supd::common {

struct SignalName {
  int number;
  std::string_view name;  // canonical, without "SIG": "USR1"
};

// Every classic signal (1..31) that Linux defines, by its canonical name.
std::span<const SignalName> known_signals();

// Accepts "USR1", "SIGUSR1", "usr1", "10", "RTMIN", "RTMIN+2", "SIGRTMAX-1".
// Rejects 0, negatives, numbers above SIGRTMAX, unknown names and empty text.
std::optional<int> parse_signal(std::string_view text);

// Canonical name without "SIG": "USR1", "RTMIN+2"; the number itself ("32") in glibc's reserved
// gap between 31 and SIGRTMIN. Whatever it returns, parse_signal maps back to signo.
// Numbers outside 1..SIGRTMAX give "".
std::string signal_name(int signo);

// One phrase listing what parse_signal accepts, for error messages.
std::string_view accepted_signal_forms();

}  // namespace supd::common
