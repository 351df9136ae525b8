// Command lines other tools taught, met before CLI11 parses them: `supctl help [CMD]` (git's
// habit) is read as `CMD --help`, and supervisorctl's `signal USR1 amsa` or kill's
// `signal amsa -USR1` get a usage error that shows the right form.
#pragma once
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace supd::ctl {

// Where the command word is: the first word before `--` that is neither an option nor the
// value of a global option (--socket PATH, --timeout D). nullopt when there is none.
std::optional<std::size_t> command_word(std::span<const std::string> args);

// The words after the command (at `command`), up to `--`, that are not options or their values.
std::vector<std::string> positional_words(std::span<const std::string> args, std::size_t command);

// `supctl [GLOBALS] help [CMD]` -> `supctl [GLOBALS] [CMD] --help`; nullopt when the command
// is not `help`. CMD is returned unchecked (the caller says "unknown command").
struct HelpRequest {
  std::vector<std::string> args;  // what to parse instead
  std::optional<std::string> topic;
};
std::optional<HelpRequest> help_request(std::span<const std::string> args);

// Throws a UsageError that shows `supctl signal JOB SIG` when `signal`'s words are in
// supervisorctl's order (SIG JOB) or carry kill's dash (-USR1, -9). Does nothing otherwise,
// nor for another command.
void check_signal_order(std::span<const std::string> args);

}  // namespace supd::ctl
