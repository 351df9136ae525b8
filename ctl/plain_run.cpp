#include "ctl/plain_run.hpp"

#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "ctl/exit_codes.hpp"
#include "ctl/render.hpp"
#include "ctl/session.hpp"

namespace supd::ctl {
namespace {

// Writes all of `text`; false when the reader is gone (SIGPIPE is ignored, main.cpp).
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n >= 0)
      text.remove_prefix(static_cast<std::size_t>(n));
    else if (errno != EINTR)
      return false;
  }
  return true;
}

// The one stderr line, as Session::fail writes it; returns `code`.
int fail(int err_fd, int code, std::string_view message) {
  write_all(err_fd, "supctl: " + one_line(message) + "\n");
  return code;
}

}  // namespace

bool runs_plain(const ParsedCli& cli, const common::Getenv& env) {
  return cli.sub != nullptr && cli.sub->plain && cli.options.hosts.empty() && !env("SUPCTL_HOST");
}

int run_plain(const ParsedCli& cli, int out_fd, int err_fd, const common::Getenv& env) {
  // The steps of run_request() in a Session, with the same shared pieces.
  const auto paths = paths_for(cli.options, env);
  const auto limits = limits_for(cli.options, cli.command);
  const Note note = [err_fd](const std::string& line) { write_all(err_fd, line); };
  try {
    auto client = connect_to_supd(paths, limits.connect, start_hint_for(cli.options, paths), &cli.command, note, env);
    const auto shown = shown_reply(cli, client.call(cli.command, limits.request));
    if (shown.code != kOk) return fail(err_fd, shown.code, shown.failure);
    if (!write_all(out_fd, shown.out)) return fail(err_fd, kFailed, kStdoutGone);
    return kOk;
  } catch (const ClientFailure& e) {
    return fail(err_fd, exit_code_for(e, waits_for_jobs(cli.command)), e.what());
  }
}

}  // namespace supd::ctl
