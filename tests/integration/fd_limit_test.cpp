// supd raises its own RLIMIT_NOFILE soft limit; its jobs get the one it started with, also
// after `supctl upgrade` re-execs supd with the raised limit (issue 15).
#include <sys/resource.h>
#include <unistd.h>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr rlim_t kStartSoft = 256;

std::optional<rlimit> nofile_of(pid_t pid) {
  rlimit lim{};
  if (pid <= 0 || ::prlimit(pid, RLIMIT_NOFILE, nullptr, &lim) != 0) return std::nullopt;
  return lim;
}

}  // namespace

TEST_CASE("jobs get the fd limit supd started with, not its raised one, across an upgrade too",
          "[integration][limits][issue15]") {
  rlimit mine{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &mine) == 0);
  if (mine.rlim_max <= kStartSoft) {
    WARN("the hard fd limit is too low to tell a raised soft limit apart; not checked");
    return;
  }
  DaemonOptions opts;
  // supd starts with a soft limit of 256 under the same hard limit.
  opts.wrapper = {"/bin/sh", "-c", "ulimit -Sn " + std::to_string(kStartSoft) + " && exec \"$0\" \"$@\""};
  TestDaemon d(R"(
[jobs.before]
command = ["sleep", "1000"]
[jobs.after]
command = ["sleep", "1000"]
autostart = false
)",
               opts);
  const auto supd = nofile_of(d.pid());
  REQUIRE(supd);
  CHECK(supd->rlim_cur == supd->rlim_max);  // raised for itself
  const auto before = nofile_of(d.wait_running("before"));
  REQUIRE(before);
  CHECK(before->rlim_cur == kStartSoft);
  CHECK(before->rlim_max == supd->rlim_max);

  const auto up = d.ctl({"upgrade"});
  INFO(up.out << up.err << "\nsupd output:\n" << d.supd_output());
  REQUIRE(up.exit_code == kOk);
  CHECK(nofile_of(d.pid())->rlim_cur == supd->rlim_max);
  REQUIRE(d.ctl({"start", "after"}).exit_code == kOk);
  const auto after = nofile_of(d.job_pid("after"));
  REQUIRE(after);
  CHECK(after->rlim_cur == kStartSoft);
  d.finish();
}
