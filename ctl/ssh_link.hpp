// Reaching a supd on another machine (DESIGN.md, "Several machines"): `ssh -T HOST supctl
// bridge` as a child whose stdin and stdout are one end of a socketpair, so the Client speaks
// NDJSON to it exactly as to supd's own socket (docker's ssh:// and systemctl -H do the same).
// ssh's stderr is kept to say why, when the far end hangs up before answering.
#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/fd.hpp"
#include "common/paths.hpp"
#include "ctl/client.hpp"

namespace supd::ctl {

struct SshOptions {
  std::vector<std::string> ssh{"ssh"};      // $SUPCTL_SSH, split at blanks: the ssh to run
  std::string remote_supctl = "supctl";     // $SUPCTL_REMOTE: the supctl the remote shell runs
  std::optional<std::string> socket;        // --socket: the remote supd's socket, passed on
  Timeout connect;                          // ssh's ConnectTimeout (whole seconds, at least 1)
};

SshOptions ssh_options(const common::Getenv& env, const std::optional<std::string>& socket, Timeout connect);

// The words that reach `host`: ssh's own, BatchMode (never a prompt), ConnectTimeout, then the
// remote command. Everything else comes from the user's ~/.ssh/config.
std::vector<std::string> ssh_argv(const std::string& host, const SshOptions& options);

// A word for a POSIX shell: as is when it is plain, else in single quotes.
std::string shell_quote(std::string_view word);

// Why ssh ended before supd answered, from its wait status and what it wrote on stderr; the
// remote supctl's own one-line error when it gave one. nullopt: nothing to add.
std::optional<ClientFailure> describe_ssh_end(int wait_status, std::string_view stderr_text);

class SshLink : public Link {
public:
  // Starts ssh; returns the link and this end of the socketpair. Throws ClientFailure.
  static std::pair<std::shared_ptr<SshLink>, common::UniqueFd> open(const std::string& host,
                                                                    const SshOptions& options);
  SshLink(const SshLink&) = delete;
  SshLink& operator=(const SshLink&) = delete;
  // Reaps ssh: it ends by itself once the Client's end is closed; a lingering one is killed.
  ~SshLink() override;

  std::optional<ClientFailure> why_closed() override;

private:
  SshLink(pid_t pid, common::UniqueFd pidfd, common::UniqueFd stderr_pipe);
  void drain_stderr();  // what ssh has written on stderr so far, without waiting
  // Reads ssh's stderr until ssh exits or `ms` pass; true when it has exited (status_ set).
  bool wait_for_exit(int ms);

  pid_t pid_;
  common::UniqueFd pidfd_;
  common::UniqueFd stderr_;
  std::string stderr_text_;
  std::optional<int> status_;
};

}  // namespace supd::ctl
