#include "tests/support/ssh_server.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/support/ports.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

namespace supd::test {
namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

void keygen(const fs::path& file) {
  const auto r = run_process({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", file.string()}, {"PATH=/usr/bin:/bin"});
  REQUIRE(r.exit_code == 0);
}

}  // namespace

std::optional<std::string> SshServer::unavailable() {
  if (::geteuid() != 0) return "needs root: sshd must log the test's user in";
  if (::access(kSshd, X_OK) != 0) return "needs OpenSSH's server (openssh-server): no /usr/sbin/sshd";
  if (::access("/usr/bin/ssh", X_OK) != 0) return "needs OpenSSH's client (openssh-client)";
  return std::nullopt;
}

SshServer::SshServer() {
  const auto& d = dir();
  fs::permissions(d, fs::perms::owner_all, fs::perm_options::replace);
  keygen(d / "host_key");
  keygen(d / "client_key");
  keygen(d / "stranger_key");
  fs::copy_file(d / "client_key.pub", d / "authorized_keys");
  fs::permissions(d / "authorized_keys", fs::perms(0600), fs::perm_options::replace);
  fs::create_directories("/run/sshd");  // its privilege separation directory
  port_ = free_port();
  REQUIRE(port_ > 0);
  write_file(d / "sshd_config", fmt::format(R"(ListenAddress 127.0.0.1
Port {0}
HostKey {1}/host_key
AuthorizedKeysFile {1}/authorized_keys
PidFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
AcceptEnv SUPD_SOCKET
)",
                                           port_, d.string()));
  write_file(d / "ssh_config", "");
  // -D: stays our child; -e: its log on stderr (kept in a file for a failing test).
  sshd_ = spawn_process({kSshd, "-D", "-e", "-f", (d / "sshd_config").string()},
                        SpawnOptions{{"PATH=/usr/sbin:/usr/bin:/bin"}, (d / "sshd.log").string(), true, {}, {}, {}});
  REQUIRE(eventually([&] { return accepts(port_); }, 15s));
}

SshServer::~SshServer() {
  if (sshd_ > 0) {
    ::kill(sshd_, SIGTERM);
    if (!wait_exit(sshd_, 10s)) {
      ::kill(sshd_, SIGKILL);
      wait_exit(sshd_, 10s);
    }
  }
}

void SshServer::append_host(const std::string& alias, int port, const fs::path& key,
                            const std::optional<fs::path>& socket) {
  std::string entry = fmt::format(R"(Host {}
  HostName 127.0.0.1
  Port {}
  User root
  IdentityFile {}
  IdentitiesOnly yes
  UserKnownHostsFile {}/known_hosts
  StrictHostKeyChecking accept-new
  LogLevel ERROR
)",
                                  alias, port, key.string(), dir().string());
  if (socket) entry += fmt::format("  SetEnv SUPD_SOCKET={}\n", socket->string());
  write_file(dir() / "ssh_config", read_file(dir() / "ssh_config") + entry, fs::perms(0600));
}

void SshServer::add_host(const std::string& alias, const fs::path& socket) {
  append_host(alias, port_, dir() / "client_key", socket);
}

void SshServer::add_unreachable_host(const std::string& alias) {
  append_host(alias, free_port(), dir() / "client_key", std::nullopt);
}

void SshServer::add_unknown_key_host(const std::string& alias, const fs::path& socket) {
  append_host(alias, port_, dir() / "stranger_key", socket);
}

std::string SshServer::ssh_command() const { return "ssh -F " + (dir() / "ssh_config").string(); }

std::vector<std::string> SshServer::client_env() const {
  return {"SUPCTL_SSH=" + ssh_command(), std::string("SUPCTL_REMOTE=") + SUPCTL_BIN};
}

}  // namespace supd::test
