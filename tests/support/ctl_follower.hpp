// A streaming supctl command (`logs -f`, `events -f`) run in the background with its stdout
// in a file. Not tagged as the test's (the harness would count it as a stray of supd's);
// SIGKILLed and reaped at the end of its scope.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tests/support/test_daemon.hpp"

namespace supd::test {

class CtlFollower {
public:
  // supctl --socket <d's> <args...> > out
  CtlFollower(const TestDaemon& d, const std::vector<std::string>& args, const fs::path& out);
  ~CtlFollower();
  CtlFollower(const CtlFollower&) = delete;
  CtlFollower& operator=(const CtlFollower&) = delete;
  // The wait status once it exited by itself, else nullopt.
  std::optional<int> wait(Millis deadline);

private:
  pid_t pid_ = 0;
};

}  // namespace supd::test
