#include "tests/support/ctl_follower.hpp"

#include <csignal>

#include "tests/support/process.hpp"

namespace supd::test {

CtlFollower::CtlFollower(const TestDaemon& d, const std::vector<std::string>& args, const fs::path& out) {
  std::vector<std::string> argv{SUPCTL_BIN, "--socket", d.socket().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env;
  for (const auto& kv : d.env())
    if (!kv.starts_with("SUPD_TEST_TAG=")) env.push_back(kv);
  pid_ = spawn_process(argv, SpawnOptions{env, out.string(), false, {}, {}, {}});
}

CtlFollower::~CtlFollower() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_exit(pid_, std::chrono::seconds(10));
  }
}

std::optional<int> CtlFollower::wait(Millis deadline) {
  auto st = wait_exit(pid_, deadline);
  if (st) pid_ = 0;
  return st;
}

}  // namespace supd::test
