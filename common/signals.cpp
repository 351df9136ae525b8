#include "common/signals.hpp"

#include <array>
#include <charconv>
#include <csignal>
#include <string>

#include <fmt/format.h>

namespace supd::common {
namespace {

constexpr std::array<SignalName, 31> kSignals{{
    {SIGHUP, "HUP"},       {SIGINT, "INT"},       {SIGQUIT, "QUIT"},     {SIGILL, "ILL"},
    {SIGTRAP, "TRAP"},     {SIGABRT, "ABRT"},     {SIGBUS, "BUS"},       {SIGFPE, "FPE"},
    {SIGKILL, "KILL"},     {SIGUSR1, "USR1"},     {SIGSEGV, "SEGV"},     {SIGUSR2, "USR2"},
    {SIGPIPE, "PIPE"},     {SIGALRM, "ALRM"},     {SIGTERM, "TERM"},     {SIGSTKFLT, "STKFLT"},
    {SIGCHLD, "CHLD"},     {SIGCONT, "CONT"},     {SIGSTOP, "STOP"},     {SIGTSTP, "TSTP"},
    {SIGTTIN, "TTIN"},     {SIGTTOU, "TTOU"},     {SIGURG, "URG"},       {SIGXCPU, "XCPU"},
    {SIGXFSZ, "XFSZ"},     {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"},     {SIGWINCH, "WINCH"},
    {SIGIO, "IO"},         {SIGPWR, "PWR"},       {SIGSYS, "SYS"},
}};

// Old spellings that name the same number; accepted, never printed.
constexpr std::array<SignalName, 3> kAliases{{{SIGIOT, "IOT"}, {SIGPOLL, "POLL"}, {SIGCHLD, "CLD"}}};

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (upper(a[i]) != upper(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Plain decimal digits only: no sign, no spaces, no trailing junk ("+10", "10abc" fail).
std::optional<int> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 6) return std::nullopt;  // also keeps from_chars far from overflow
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (already without "SIG"), inside [SIGRTMIN, SIGRTMAX].
std::optional<int> parse_realtime(std::string_view s) {
  const int lo = SIGRTMIN, hi = SIGRTMAX;  // glibc calls: it reserves a few for itself
  int base = 0, dir = 0;
  if (istarts_with(s, "RTMIN")) {
    base = lo;
    dir = +1;
  } else if (istarts_with(s, "RTMAX")) {
    base = hi;
    dir = -1;
  } else {
    return std::nullopt;
  }
  s.remove_prefix(5);
  if (s.empty()) return base;
  if (s[0] != (dir > 0 ? '+' : '-')) return std::nullopt;
  const auto n = parse_decimal(s.substr(1));
  if (!n) return std::nullopt;
  const int signo = base + dir * *n;
  if (signo < lo || signo > hi) return std::nullopt;
  return signo;
}

}  // namespace

std::span<const SignalName> known_signals() { return kSignals; }

std::optional<int> parse_signal(std::string_view text) {
  if (const auto n = parse_decimal(text)) {
    if (*n >= 1 && *n <= SIGRTMAX) return n;
    return std::nullopt;
  }
  if (istarts_with(text, "SIG")) text.remove_prefix(3);
  for (const auto& s : kSignals)
    if (iequals(text, s.name)) return s.number;
  for (const auto& s : kAliases)
    if (iequals(text, s.name)) return s.number;
  return parse_realtime(text);
}

std::string signal_name(int signo) {
  for (const auto& s : kSignals)
    if (s.number == signo) return std::string(s.name);
  const int lo = SIGRTMIN, hi = SIGRTMAX;
  // glibc's reserved gap (32, 33): parse_signal takes the number, so the number is the name;
  // supctl sends names on the wire and an empty one could never be sent (found by fuzz_signal).
  if (signo > 31 && signo < lo) return std::to_string(signo);
  if (signo < lo || signo > hi) return {};
  // Like bash's `kill -l`: RTMIN+k up to the midpoint, RTMAX-k above it.
  if (signo == lo) return "RTMIN";
  if (signo == hi) return "RTMAX";
  if (signo - lo <= (hi - lo) / 2) return fmt::format("RTMIN+{}", signo - lo);
  return fmt::format("RTMAX-{}", hi - signo);
}

std::string_view accepted_signal_forms() {
  static const std::string forms = fmt::format(
      "a name like USR1 or SIGUSR1 (any case), a number from 1 to {}, or RTMIN+N", SIGRTMAX);
  return forms;
}

}  // namespace supd::common
