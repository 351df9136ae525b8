#include "ctl/cli.hpp"

#include <algorithm>
#include <vector>

#include "ctl/std_streams.hpp"  // first: CLI11 includes <iostream>, and supctl does without its initializer

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/duration.hpp"
#include "ctl/cli_habits.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

constexpr std::string_view kGlobalUsage =
    "supctl [--socket PATH] [--json] [--timeout DURATION] [--host HOST,...] COMMAND [ARGS...]";

// --help from the table: our usage lines and command list instead of CLI11's generic ones.
class HelpFormatter : public CLI::Formatter {
public:
  std::string make_usage(const CLI::App* app, std::string) const override {
    const Subcommand* sub = app->get_parent() ? find_subcommand(app->get_name()) : nullptr;
    return fmt::format("Usage: {}\n", sub ? usage_line(*sub) : std::string(kGlobalUsage));
  }
  std::string make_subcommands(const CLI::App* app, CLI::AppFormatMode) const override {
    if (app->get_parent()) return {};
    std::string out = "\nCommands:\n";
    for (const auto& s : subcommands()) {
      std::string left = usage_line(s).substr(7);  // without "supctl "
      if (!s.alias.empty()) left += fmt::format(" (or {})", s.alias);
      if (left.size() >= 28)  // a long synopsis gets a line of its own
        out += fmt::format("  {}\n  {:<28}{}\n", left, "", s.help);
      else
        out += fmt::format("  {:<28}{}\n", left, s.help);
    }
    return out;
  }
};

constexpr std::string_view kFooter =
    "Global options may also follow the command or its arguments; `--` ends options.\n"
    "Exit codes: 0 done; 1 supd refused or the action failed; 2 usage error;\n"
    "3 supd not reachable; 4 signal --expect: nothing matched in time. See docs/supctl.md.";

std::string unknown_command_message(std::string_view word) {
  if (find_subcommand(word))  // `supctl -- status`
    return fmt::format("'--' ends options, so '{}' was not read as a command; put '--' after the "
                       "command, as in: supctl stop -- JOB",
                       word);
  const auto guess = suggest_subcommand(word);
  if (!guess.empty())
    return fmt::format("unknown command '{}'; did you mean '{}'? see: supctl --help", printable(word),
                       guess);
  return fmt::format("unknown command '{}'; see: supctl --help", printable(word));
}

}  // namespace

std::vector<std::string> split_hosts(const std::vector<std::string>& values) {
  std::vector<std::string> hosts;
  for (const auto& value : values) {
    std::string_view rest = value;
    for (;;) {
      const auto comma = rest.find(',');
      std::string_view word = rest.substr(0, comma);
      while (!word.empty() && (word.front() == ' ' || word.front() == '\t')) word.remove_prefix(1);
      while (!word.empty() && (word.back() == ' ' || word.back() == '\t')) word.remove_suffix(1);
      if (word.empty())
        throw UsageError(fmt::format("empty host name in '{}'; give HOST or USER@HOST, several joined by commas",
                                     printable(value)));
      const bool bad = word.front() == '-' || std::any_of(word.begin(), word.end(), [](char c) {
                         return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
                       });
      if (bad)
        throw UsageError(fmt::format("invalid host '{}'; give HOST or USER@HOST as ssh takes it (no blanks, "
                                     "not starting with '-')",
                                     printable(word)));
      if (std::find(hosts.begin(), hosts.end(), word) == hosts.end()) hosts.emplace_back(word);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return hosts;
}

ParsedCli parse_cli(std::span<const std::string> args) {
  // Other tools' habits first: CLI11 would take `-USR1` for an unknown option.
  if (auto help = help_request(args)) {
    if (help->topic && !find_subcommand(*help->topic)) throw UsageError(unknown_command_message(*help->topic));
    return parse_cli(help->args);
  }
  check_signal_order(args);

  CLI::App app{"supctl: talk to supd, the process supervisor.", "supctl"};
  app.set_help_flag("-h,--help", "print this help and exit");
  app.set_version_flag("--version", std::string("supctl ") + SUPD_VERSION, "print the version and exit");
  app.formatter(std::make_shared<HelpFormatter>());  // before add_subcommand: they inherit it
  app.footer(std::string(kFooter));
  app.require_subcommand(0, 1);  // at most one, so a job named "stop" stays a job name
  app.fallthrough();             // global options after the command reach the main app
  app.allow_extras();            // unknown options are reported by us, on one line

  std::optional<std::string> socket;
  bool json = false;
  std::string timeout_text;
  app.add_option("--socket", socket, "supd's socket (default: $SUPD_SOCKET, else $XDG_RUNTIME_DIR/supd/supd.sock)")
      ->type_name("PATH")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("--json", json, "print results as JSON, one document")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--timeout", timeout_text,
                 "limit for reaching supd and for each answer (default 10s; commands that wait for "
                 "jobs to settle have no limit unless this is given; 0 = no limit)")
      ->type_name("DURATION")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::vector<std::string> host_values;
  app.add_option("-H,--host", host_values,
                 "run the command on [USER@]HOST over ssh (its supctl bridge); several: HOST,HOST or "
                 "repeat the option (default: $SUPCTL_HOST)")
      ->type_name("HOST")
      ->expected(1)
      ->take_all();
  std::vector<std::string> stray;  // words before any command: an unknown command
  app.add_option("stray", stray)->group("");

  const auto table = subcommands();
  std::vector<std::vector<std::string>> positionals(table.size());
  std::vector<SubcommandFlags> flags(table.size());
  std::vector<CLI::App*> apps;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& row = table[i];
    auto* sc = app.add_subcommand(std::string(row.name), std::string(row.help));
    if (!row.alias.empty()) sc->alias(std::string(row.alias));
    sc->set_help_flag("-h,--help", "print this help and exit");
    // Every command takes any number of words here, so the table's counts give the messages
    // and a stray word never falls through to the main app as a "command".
    sc->add_option("args", positionals[i])->group("");
    if (row.options & kOptNoWait)
      sc->add_flag("--no-wait", flags[i].no_wait, "return at once instead of waiting for the jobs to settle")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (row.options & kOptGroup)
      sc->add_flag("--group", flags[i].group, "send to the job's whole process group")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (row.options & kOptDryRun)
      sc->add_flag("--dry-run", flags[i].dry_run, "show what would change; change nothing")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (row.options & kOptRun) {
      sc->add_option("--restart", flags[i].restart, "always, on-failure (default) or never")
          ->type_name("POLICY")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      sc->add_option("--directory", flags[i].directory, "working directory (default: the current one)")
          ->type_name("DIR")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      sc->add_option("--env", flags[i].env, "an environment variable for the job, on top of supd's (repeatable)")
          ->type_name("K=V")
          ->expected(1)
          ->take_all();
      sc->add_option("--stdout", flags[i].stdout_file, "output file in the log dir (default NAME.out)")
          ->type_name("FILE")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    if (row.options & kOptLeaveRunning)
      sc->add_flag("--leave-running", flags[i].leave_running, "exit without stopping the jobs; the next supd adopts them")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (row.options & kOptStrict)
      sc->add_flag("--strict", flags[i].strict, "exit 1 on a warning too, not only on a failed check")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (row.options & kOptOnce)
      sc->add_flag("--once", flags[i].once, "print one snapshot as text and exit (what top does when not on a terminal)")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (row.options & kOptLogs) {
      sc->add_option("-n,--lines", flags[i].lines, "how many lines (default 10; 0: none)")
          ->type_name("N")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      sc->add_flag("-f,--follow", flags[i].follow, "then print new output as it comes, until supd exits or Ctrl-C")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      sc->add_flag("--stderr", flags[i].from_stderr, "the job's separate stderr file instead")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      sc->add_flag("--reopen", flags[i].reopen, "reopen every log file (after logrotate moved them); no JOB")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      sc->add_flag("-t,--timestamps", flags[i].timestamps, "prefix each line with the time it was written (UTC)")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      sc->add_option("--since", flags[i].since, "only lines written in the last T (10m, 2h, 1d)")
          ->type_name("T")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    if (row.options & kOptExpect)
      sc->add_option("--expect", flags[i].expect,
                     "then wait until a new output line matches REGEX (ECMAScript, searched in each line): "
                     "exit 0 and print it; 4 if none within --timeout (10s); 1 if the job exits first")
          ->type_name("REGEX")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    if (row.options & kOptEvents) {
      sc->add_option("-n,--lines", flags[i].lines, "only the last N events of the history")
          ->type_name("N")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      sc->add_flag("-f,--follow", flags[i].follow, "then print new events as they happen, until supd exits or Ctrl-C")
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    apps.push_back(sc);
  }

  ParsedCli out;
  // Everything after the first `--` is arguments, never options: the command of `run`, job
  // names elsewhere. CLI11 sees only what comes before it.
  const auto dashdash = std::find(args.begin(), args.end(), "--");
  const std::vector<std::string> tail(dashdash == args.end() ? args.end() : dashdash + 1, args.end());
  std::vector<std::string> reversed(std::make_reverse_iterator(dashdash), args.rend());  // CLI11 eats from the back
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out.action = ParsedCli::Action::Print;
    out.text = app.help();
    return out;
  } catch (const CLI::CallForVersion& e) {
    out.action = ParsedCli::Action::Print;
    out.text = std::string(e.what()) + "\n";
    return out;
  } catch (const CLI::ParseError& e) {
    throw UsageError(fmt::format("{}; see: supctl --help", one_line(e.what())));
  }

  const auto chosen = std::find_if(apps.begin(), apps.end(), [](const CLI::App* a) { return a->parsed(); });
  if (!stray.empty()) throw UsageError(unknown_command_message(stray.front()));
  if (chosen == apps.end() && !tail.empty()) throw UsageError(unknown_command_message(tail.front()));
  auto extras = app.remaining(true);
  // CLI11 keeps the `--` that ended a command's options among the extras; it did its job.
  if (const auto mark = std::find(extras.begin(), extras.end(), "--"); mark != extras.end())
    extras.erase(mark);
  if (!extras.empty()) {
    const std::string& word = extras.front();
    if (word.size() > 1 && word[0] == '-') {
      const std::string where = chosen == apps.end() ? "supctl" : "supctl " + (*chosen)->get_name();
      throw UsageError(fmt::format("unknown option '{}'; see: {} --help", printable(word), where));
    }
    if (chosen == apps.end()) throw UsageError(unknown_command_message(word));
    throw UsageError(fmt::format("unexpected argument '{}'; see: supctl {} --help", printable(word),
                                 (*chosen)->get_name()));
  }
  if (chosen == apps.end())
    throw UsageError(fmt::format("no command given; usage: {}; see: supctl --help", kGlobalUsage));

  out.options.socket = socket;
  out.options.json = json;
  out.options.hosts = split_hosts(host_values);
  if (!timeout_text.empty() || app.count("--timeout") > 0) {
    const auto t = common::parse_duration(timeout_text);
    if (!t)
      throw UsageError(fmt::format("invalid --timeout '{}'; use a duration like 10s, 500ms or 2m",
                                   printable(timeout_text)));
    out.options.timeout = *t;
  }

  const auto index = static_cast<std::size_t>(chosen - apps.begin());
  if (table[index].options & kOptRun)
    flags[index].command = tail;
  else
    positionals[index].insert(positionals[index].end(), tail.begin(), tail.end());
  out.sub = &table[index];
  out.command = build_command(*out.sub, positionals[index], flags[index]);
  out.flags = flags[index];
  out.args = positionals[index];
  return out;
}

}  // namespace supd::ctl
