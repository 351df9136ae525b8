#include "ctl/cli_habits.hpp"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "common/signals.hpp"
#include "ctl/subcommands.hpp"

namespace supd::ctl {
namespace {

// Options whose value is the next word (global ones, and signal's --expect).
bool takes_value(std::string_view word) {
  return word == "--socket" || word == "--timeout" || word == "--expect";
}

bool is_option(std::string_view word) { return word.size() > 1 && word.front() == '-'; }

}  // namespace

std::optional<std::size_t> command_word(std::span<const std::string> args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") return std::nullopt;
    if (takes_value(args[i])) {
      ++i;
      continue;
    }
    if (!is_option(args[i])) return i;
  }
  return std::nullopt;
}

std::vector<std::string> positional_words(std::span<const std::string> args, std::size_t command) {
  std::vector<std::string> out;
  for (std::size_t i = command + 1; i < args.size(); ++i) {
    if (args[i] == "--") break;
    if (takes_value(args[i])) {
      ++i;
      continue;
    }
    if (!is_option(args[i])) out.push_back(args[i]);
  }
  return out;
}

std::optional<HelpRequest> help_request(std::span<const std::string> args) {
  const auto at = command_word(args);
  if (!at || args[*at] != "help") return std::nullopt;
  HelpRequest out;
  out.args.assign(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(*at));  // global options before it
  const auto words = positional_words(args, *at);
  if (words.size() > 1)
    throw UsageError(fmt::format("unexpected argument '{}' for help; usage: supctl help [COMMAND]", printable(words[1])));
  if (!words.empty() && words[0] != "help") {
    out.topic = words[0];
    out.args.push_back(words[0]);
  }
  out.args.push_back("--help");
  return out;
}

void check_signal_order(std::span<const std::string> args) {
  const auto at = command_word(args);
  if (!at) return;
  const Subcommand* sub = find_subcommand(args[*at]);
  if (sub == nullptr || sub->name != "signal") return;
  const auto words = positional_words(args, *at);
  // kill's habit: a dash before the signal (-USR1, -9), which is no option of signal's.
  std::optional<std::string> dashed;
  for (std::size_t i = *at + 1; i < args.size() && args[i] != "--"; ++i) {
    const std::string_view w = args[i];
    if (takes_value(w)) {
      ++i;
      continue;
    }
    if (w.size() > 1 && w[0] == '-' && w[1] != '-' && common::parse_signal(w.substr(1))) {
      dashed = std::string(w.substr(1));
      break;
    }
  }
  if (dashed) {
    const std::string job = words.empty() ? std::string("JOB") : printable(words[0]);
    throw UsageError(fmt::format("signal takes JOB then SIGNAL, without a dash: supctl signal {} {}", job,
                                 printable(*dashed)));
  }
  // supervisorctl's order: `signal USR1 amsa`, where the first word is a signal and the second is not.
  if (words.size() == 2 && common::parse_signal(words[0]) && !common::parse_signal(words[1]))
    throw UsageError(fmt::format("signal takes JOB then SIGNAL: supctl signal {} {}", printable(words[1]),
                                 printable(words[0])));
}

}  // namespace supd::ctl
