// supctl's command line -> one parsed command, as a function tests can call without a
// process: global options (before or after the command), the command's own options, and
// the request its table row builds. Every problem is a UsageError with a one-line message.
#pragma once
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/protocol.hpp"
#include "ctl/subcommands.hpp"

namespace supd::ctl {

inline constexpr std::chrono::milliseconds kDefaultTimeout{10'000};

struct GlobalOptions {
  std::optional<std::string> socket;                 // --socket PATH
  bool json = false;                                 // --json
  std::optional<std::chrono::milliseconds> timeout;  // --timeout DURATION, when given (0 = none)
  std::vector<std::string> hosts;  // --host/-H [USER@]HOST[,HOST...], repeatable, in order, no repeats
};

// The hosts of --host values or $SUPCTL_HOST: split at commas, blanks trimmed, repeats
// dropped. Throws UsageError for an empty name or one ssh would read as an option.
std::vector<std::string> split_hosts(const std::vector<std::string>& values);

struct ParsedCli {
  enum class Action { Run, Print };
  Action action = Action::Run;  // Print: --help or --version; print `text` and exit 0
  std::string text;
  GlobalOptions options;
  const Subcommand* sub = nullptr;  // set when action == Run
  protocol::Command command;
  SubcommandFlags flags;  // the command's own options, for what runs client-side (--expect)
  std::vector<std::string> args;  // its arguments, for a hook that takes more than its request holds (logs A B)
};

// `args` is argv without argv[0]. Throws UsageError.
ParsedCli parse_cli(std::span<const std::string> args);

}  // namespace supd::ctl
