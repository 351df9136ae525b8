// One supctl command run against supd, as a row's run hook (ctl/subcommands.hpp) sees it:
// the parsed command line, where supd is, the time limits and the output streams, with the
// steps every command shares: connect, print a reply, print the one error line.
#pragma once
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/paths.hpp"
#include "ctl/cli.hpp"
#include "ctl/client.hpp"
#include "ctl/find_supd.hpp"

namespace supd::ctl {

// How long connect+hello may take, and how long the request may take: --timeout when given
// (0 = no limit), else 10s, except that commands waiting for jobs to settle (start, stop,
// restart without --no-wait, shutdown) have no limit by default.
struct Limits {
  Timeout connect;
  Timeout request;
};
Limits limits_for(const GlobalOptions& options, const protocol::Command& command);

// Where supd is (--socket, $SUPD_SOCKET, XDG), and the command that would start it there
// ("supd --detach"), for messages.
common::Paths paths_for(const GlobalOptions& options, const common::Getenv& env);
std::string start_hint_for(const GlobalOptions& options, const common::Paths& paths);

// What an answer makes supctl print: the text for stdout, or the message of the stderr line
// with supd's error code when supd said no; and the exit code. Pure: Session::show and the
// plain path (ctl/plain_run.hpp) print it, each its own way.
struct Shown {
  int code = 0;                           // kOk: print `out`; else the line `failure`
  std::string out;
  std::string failure;
  std::optional<std::string> error_code;  // supd's code ("unknown_job"), when supd refused
};
Shown shown_reply(const ParsedCli& cli, const Reply& reply);

// The message when stdout is gone (a closed pipe): the command failed.
inline constexpr std::string_view kStdoutGone = "cannot write to standard output";

struct Session {
  // With `remote`, supd is the one on that host, reached over ssh (ctl/ssh_link.hpp).
  Session(const ParsedCli& parsed, std::ostream& to_out, std::ostream& to_err, const common::Getenv& environment,
          std::optional<std::string> remote = std::nullopt);

  const ParsedCli& cli;
  std::ostream& out;
  std::ostream& err;
  const common::Getenv& env;
  common::Paths paths;
  Limits limits;
  std::string start_hint;  // the command that would start this supd, for messages
  std::optional<std::string> host;  // --host: every error line names it first
  // Every --host, for a command that shows several hosts itself (Subcommand::sections).
  std::vector<std::string> hosts;
  // The last failure reported by fail(): its message, and supd's error code when supd said
  // no (show()); for `--json` across several hosts.
  std::string failure;
  std::optional<std::string> error_code;

  // Connects and says hello; with `send_ahead` the command goes right behind the hello (one
  // round trip). Throws ClientFailure.
  Client connect(bool send_ahead = true) const;
  // "supctl: <message>" on stderr, one line; returns `code`.
  int fail(int code, std::string_view message);
  // Writes a line (a found supd named, ctl/find_supd.hpp) to stderr.
  Note note() const;
  // Writes `text` to stdout: kOk, or kFailed with the error line when stdout is gone.
  int print(std::string_view text);
  // A reply as supctl shows it: supd's error as the error line, else the result (--json: as
  // supd wrote it; else rendered by the command's file). Returns the exit code.
  int show(const Reply& reply);
};

// The exit code for a failure to talk to supd; `waiting` for a command that waits for jobs.
int exit_code_for(const ClientFailure& e, bool waiting);

// What a row without a hook does: send the request, show the answer. Throws ClientFailure.
int run_request(Session& session);

// One session's command: its row's hook or run_request, a ClientFailure turned into the
// error line and its exit code.
int run_session(Session& session);

}  // namespace supd::ctl
