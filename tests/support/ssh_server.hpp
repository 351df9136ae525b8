// A real OpenSSH server on a loopback port for `supctl --host` tests: a generated host key,
// one authorized client key (no passwords, no PAM), and an ssh_config whose Host entries are
// the test's "machines": each one root on 127.0.0.1 with its own supd socket (SUPD_SOCKET
// sent with SetEnv). Nothing leaves the machine. Root only (sshd must switch to the user).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tests/support/files.hpp"

namespace supd::test {

class SshServer {
public:
  // Why these tests cannot run here (not root, no sshd), or nullopt.
  static std::optional<std::string> unavailable();

  SshServer();  // starts sshd and waits until it accepts connections; REQUIREs it
  ~SshServer();
  SshServer(const SshServer&) = delete;
  SshServer& operator=(const SshServer&) = delete;

  // A Host entry `alias` whose remote supctl finds supd at `socket`.
  void add_host(const std::string& alias, const fs::path& socket);
  // A Host entry nothing listens behind (a closed port).
  void add_unreachable_host(const std::string& alias);
  // A Host entry that offers a key the server does not know.
  void add_unknown_key_host(const std::string& alias, const fs::path& socket);

  // What supctl needs to use them: SUPCTL_SSH with this ssh_config, SUPCTL_REMOTE the built
  // supctl (the remote PATH does not hold it). "K=V" each.
  std::vector<std::string> client_env() const;
  std::string ssh_command() const;  // "ssh -F <config>"
  const fs::path& dir() const { return dir_.path(); }

private:
  void append_host(const std::string& alias, int port, const fs::path& key, const std::optional<fs::path>& socket);

  TempDir dir_{"supd-ssh-"};
  int port_ = 0;
  pid_t sshd_ = 0;
};

}  // namespace supd::test
