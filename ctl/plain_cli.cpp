#include "ctl/plain_cli.hpp"

#include <string_view>
#include <vector>

#include "ctl/cli_habits.hpp"

namespace supd::ctl {
namespace {

constexpr std::string_view kSocketIs = "--socket=";

// A value CLI11 would take as it is: not empty, not an option.
bool plain_value(std::string_view word) { return !word.empty() && word.front() != '-'; }

}  // namespace

std::optional<ParsedCli> parse_plain(std::span<const std::string> args) {
  ParsedCli out;
  const Subcommand* sub = nullptr;
  SubcommandFlags flags;
  std::vector<std::string> words;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view word = args[i];
    if (word == "--json") {
      out.options.json = true;
    } else if (word == "--socket") {
      if (i + 1 == args.size() || !plain_value(args[i + 1])) return std::nullopt;
      out.options.socket = args[++i];
    } else if (word.starts_with(kSocketIs)) {
      const auto value = word.substr(kSocketIs.size());
      if (!plain_value(value)) return std::nullopt;
      out.options.socket = std::string(value);
    } else if (sub != nullptr && (sub->options & kOptNoWait) && word == "--no-wait") {
      flags.no_wait = true;
    } else if (sub != nullptr && (sub->options & kOptGroup) && word == "--group") {
      flags.group = true;
    } else if (!plain_value(word)) {
      return std::nullopt;  // another option, `--`, or an empty word: CLI11 judges it
    } else if (sub == nullptr) {
      sub = find_subcommand(word);
      if (sub == nullptr || !sub->plain) return std::nullopt;
    } else {
      words.emplace_back(word);
    }
  }
  if (sub == nullptr || words.size() < sub->min_args || words.size() > sub->max_args) return std::nullopt;
  try {
    check_signal_order(args);  // the checks parse_cli makes before CLI11, in the same order
    out.command = build_command(*sub, words, flags);
  } catch (const UsageError&) {
    return std::nullopt;  // parse_cli says it, in its words
  }
  out.sub = sub;
  out.flags = flags;
  out.args = std::move(words);
  return out;
}

}  // namespace supd::ctl
