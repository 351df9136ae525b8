#include "ctl/subcommands.hpp"

#include <algorithm>
#include <iterator>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "common/edit_distance.hpp"
#include "ctl/command_list.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

// The rows of each command's file (ctl/command_list.hpp declares one rows() per command).
template <class... Command>
void add_rows(std::vector<Subcommand>& out, std::type_identity<std::variant<Command...>>) {
  (std::ranges::copy(rows(std::type_identity<Command>{}), std::back_inserter(out)), ...);
}

// Every command's rows and the client-only ones, sorted by rank: --help's order.
std::vector<Subcommand> all_rows() {
  std::vector<Subcommand> out;
  add_rows(out, std::type_identity<proto::Command>{});
  std::ranges::copy(client_only_rows(), std::back_inserter(out));
  std::ranges::stable_sort(out, {}, &Subcommand::rank);
  return out;
}

const std::vector<Subcommand>& table() {
  static const std::vector<Subcommand> sorted = all_rows();
  return sorted;
}

// The argument words of a synopsis: "JOB... [--no-wait]" -> {"JOB"}.
std::vector<std::string_view> argument_words(std::string_view synopsis) {
  std::vector<std::string_view> out;
  while (!synopsis.empty()) {
    const auto sp = synopsis.find(' ');
    std::string_view word = synopsis.substr(0, sp);
    synopsis = sp == std::string_view::npos ? std::string_view{} : synopsis.substr(sp + 1);
    if (word.empty() || word.front() == '[') continue;
    if (word.ends_with("...")) word.remove_suffix(3);
    out.push_back(word);
  }
  return out;
}

}  // namespace

std::span<const Subcommand> subcommands() { return table(); }

void check_job_name(const std::string& name) {
  if (proto::is_valid_instance_name(name)) return;
  throw UsageError(fmt::format(
      "invalid job name '{}'; job names use letters, digits, '_', '.' and '-', do not start "
      "with '-', and are at most 64 bytes (a copy of a job with instances: NAME@3)",
      printable(name)));
}

std::vector<std::string> job_list(std::span<const std::string> args) {
  for (const auto& a : args) check_job_name(a);
  if (std::find(args.begin(), args.end(), "all") != args.end()) return {"all"};
  return {args.begin(), args.end()};
}

const Subcommand* find_subcommand(std::string_view name) {
  for (const auto& s : table())
    if (s.name == name || (!s.alias.empty() && s.alias == name)) return &s;
  return nullptr;
}

std::string_view suggest_subcommand(std::string_view name) {
  // Other tools' words for our commands (supervisorctl, kill, tail, ps).
  constexpr std::pair<std::string_view, std::string_view> kOtherTools[] = {
      {"kill", "signal"}, {"tail", "logs"}, {"ps", "status"}, {"update", "reload"}, {"reread", "reload"},
  };
  for (const auto& [word, ours] : kOtherTools)
    if (name == word && find_subcommand(ours)) return find_subcommand(ours)->name;
  // An abbreviation of a command ("stat" -> status) beats a nearer spelling (start); of several
  // ("stat": status and stats), the one --help lists first (the table is in rank order).
  for (const auto& s : table())
    if (name.size() >= 3 && s.name.size() > name.size() && s.name.starts_with(name)) return s.name;
  std::string_view best;
  std::size_t best_distance = 3;  // at most two edits away
  for (const auto& s : table()) {
    for (const auto candidate : {s.name, s.alias}) {
      if (candidate.empty()) continue;
      const auto d = common::edit_distance(name, candidate);
      if (d < best_distance && d < candidate.size()) {
        best = s.name;
        best_distance = d;
      }
    }
  }
  return best;
}

std::string usage_line(const Subcommand& sub) {
  if (sub.synopsis.empty()) return fmt::format("supctl {}", sub.name);
  return fmt::format("supctl {} {}", sub.name, sub.synopsis);
}

std::string missing_argument_name(const Subcommand& sub, std::size_t given) {
  const auto words = argument_words(sub.synopsis);
  if (words.empty()) return "an argument";
  return std::string(words[std::min(given, words.size() - 1)]);
}

proto::Command build_command(const Subcommand& sub, std::span<const std::string> args,
                             const SubcommandFlags& flags) {
  if (args.size() < sub.min_args)
    throw UsageError(fmt::format("missing argument {} for {}; usage: {}",
                                 missing_argument_name(sub, args.size()), sub.name, usage_line(sub)));
  if (args.size() > sub.max_args)
    throw UsageError(fmt::format("unexpected argument '{}' for {}; usage: {}",
                                 printable(args[sub.max_args]), sub.name, usage_line(sub)));
  return sub.build(args, flags);
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  const bool cut = text.size() > max;
  if (cut) text = text.substr(0, max);
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  if (cut) out += "...";
  return out;
}

bool waits_for_jobs(const protocol::Command& command) {
  return std::visit([](const auto& c) { return waits(c); }, command);  // each command's file says
}

}  // namespace supd::ctl
