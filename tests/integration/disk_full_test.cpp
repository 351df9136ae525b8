// A full disk holds the job back through its pipe instead of dropping its output: supd says
// so once, keeps answering, and writes everything once space returns (issue 4, TESTPLAN).
// Needs a small tmpfs, so root; elsewhere the case says why it did not run.
#include <cerrno>
#include <cstring>
#include <thread>
#include <sys/mount.h>

#include "common/time_format.hpp"
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// A tmpfs on `dir` for the scope of the test; detached lazily so the temp dir can go even
// when supd still holds a file there.
class SmallTmpfs {
public:
  SmallTmpfs(const fs::path& dir, const char* size) : dir_(dir) {
    fs::create_directories(dir);
    const std::string options = std::string("size=") + size + ",mode=0700";
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  // Mounted; else a warning that the case did not run (mounting needs root).
  bool mounted_or_warn() const {
    if (!mounted_) WARN("cannot mount a tmpfs here (" + error_ + "; needs root): the disk-full case did not run");
    return mounted_;
  }
  bool grow(const char* size) {
    const std::string options = std::string("size=") + size;
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
  }

private:
  fs::path dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace

TEST_CASE("disk full: the job is held back, supd answers, and no line is lost once space returns",
          "[integration][logs][diskfull][R40]") {
  // 40 000 lines of 100 bytes (4 MB) into a 512 KiB file system.
  DaemonOptions options;
  options.start = false;  // the tmpfs goes on the log dir first
  TestDaemon d("[jobs.spew]\ncommand = [\"@HELPERS@/seqspew\", \"40000\", \"100\"]\nrestart = \"never\"\n"
               "log_max_size = 0\n",
               options);
  SmallTmpfs fs_(d.log_dir(), "512k");
  if (!fs_.mounted_or_warn()) return;
  d.start();
  REQUIRE(eventually([&] { return d.supd_output().find("holding its output back") != std::string::npos; }, 30s));
  // Held back, not dropped: the job is blocked in write(2), still running, and supd answers.
  CHECK(d.wait_state("spew", "running"));
  CHECK(d.ctl({"status"}).exit_code == kOk);
  REQUIRE(fs_.grow("16m"));
  REQUIRE(d.wait_state("spew", "exited", 60s));
  const auto text = d.read_log("spew");
  CHECK(text.size() == 40000u * 100u);
  long long want = 1;
  std::size_t pos = 0;
  bool in_order = true;
  while (pos < text.size() && in_order) {
    in_order = std::stoll(text.substr(pos, 12)) == want++;
    pos = text.find('\n', pos) + 1;
  }
  CHECK(in_order);
  CHECK(want == 40001);
  CHECK(d.supd_output().find("works again") != std::string::npos);
  d.finish();
}

TEST_CASE("R40 five jobs on a full 1 MiB log dir: held back, not killed, all lines once space returns",
          "[integration][logs][diskfull][R40]") {
  constexpr int kJobs = 5;
  // 3 MB a job: more than its 1 MiB pipe holds, so a job still writing must block. 15 MB into 1 MiB.
  constexpr long long kLines = 30000;
  DaemonOptions options;
  options.start = false;
  std::string toml;
  for (int i = 1; i <= kJobs; ++i)
    toml += "[jobs.spew" + std::to_string(i) + "]\ncommand = [\"@HELPERS@/seqspew\", \"" + std::to_string(kLines) +
            "\", \"100\"]\nrestart = \"never\"\nlog_max_size = 0\n";
  TestDaemon d(toml, options);
  SmallTmpfs fs_(d.log_dir(), "1m");
  if (!fs_.mounted_or_warn()) return;
  d.start();
  REQUIRE(eventually([&] { return contains(d.supd_output(), "holding its output back"); }, 30s));
  // The disk is full and every job is still there, blocked in write(2), while supd answers.
  for (int i = 1; i <= kJobs; ++i) CHECK(d.wait_state("spew" + std::to_string(i), "running"));
  CHECK(d.ctl({"status"}).exit_code == kOk);
  // Retried every second, but said once per held-back stream at most: no flood in supd's log.
  std::this_thread::sleep_for(3s);  // the window in which retries would repeat the error
  CHECK(count_occurrences(d.supd_output(), "holding its output back") <= static_cast<std::size_t>(kJobs));
  CHECK(d.ctl({"status"}).exit_code == kOk);

  REQUIRE(fs_.grow("64m"));  // space returns; logging resumes without a restart
  for (int i = 1; i <= kJobs; ++i) {
    const auto job = "spew" + std::to_string(i);
    INFO(job);
    REQUIRE(d.wait_state(job, "exited", 60s));
    // The exit may be recorded while held-back bytes still wait for the next retry.
    CHECK(eventually([&] { return fs::file_size(d.log_file(job)) >= static_cast<std::uintmax_t>(kLines) * 100u; }, 30s));
    const auto j = d.job(job);
    REQUIRE(j);
    CHECK((*j)["restarts"] == 0);
    CHECK((*j)["last_exit"]["description"] == "exited 0");
    const auto text = d.read_log(job);
    CHECK(text.size() == static_cast<std::size_t>(kLines) * 100u);
    long long want = 1;
    std::size_t pos = 0;
    bool in_order = true;
    while (pos < text.size() && in_order) {
      in_order = std::stoll(text.substr(pos, 12)) == want++;
      pos = text.find('\n', pos) + 1;
    }
    CHECK(in_order);
    CHECK(want == kLines + 1);
  }
  CHECK(contains(d.supd_output(), "works again"));
  d.finish();
}

TEST_CASE("disk full with prefix timestamps: once space returns every line is there once with one whole timestamp",
          "[integration][logs][diskfull][timestamps][R40]") {
  // A full tmpfs cuts writes at a page: a timestamp cut short is finished before its line goes on.
  constexpr long long kLines = 20000;
  DaemonOptions options;
  options.start = false;
  TestDaemon d("[jobs.spew]\ncommand = [\"@HELPERS@/seqspew\", \"" + std::to_string(kLines) +
                   "\", \"100\"]\nrestart = \"never\"\nlog_max_size = 0\ntimestamps = \"prefix\"\n",
               options);
  SmallTmpfs fs_(d.log_dir(), "512k");
  if (!fs_.mounted_or_warn()) return;
  d.start();
  REQUIRE(eventually([&] { return contains(d.supd_output(), "holding its output back"); }, 30s));
  CHECK(d.wait_state("spew", "running"));
  REQUIRE(fs_.grow("16m"));
  REQUIRE(d.wait_state("spew", "exited", 60s));
  constexpr std::size_t kStamped = supd::common::kIsoTimeWidth + 1 + 100;
  REQUIRE(eventually([&] { return fs::file_size(d.log_file("spew")) >= kLines * kStamped; }, 30s));
  const auto text = d.read_log("spew");
  CHECK(text.size() == kLines * kStamped);
  long long want = 1;
  std::string wrong;
  for (std::size_t pos = 0; pos + kStamped <= text.size() && wrong.empty(); pos += kStamped, ++want) {
    const auto line = std::string_view(text).substr(pos, kStamped);
    if (!supd::common::parse_iso8601_utc_ms(line.substr(0, supd::common::kIsoTimeWidth)) ||
        line[supd::common::kIsoTimeWidth] != ' ' || line.back() != '\n' ||
        std::stoll(std::string(line.substr(supd::common::kIsoTimeWidth + 1, 12))) != want)
      wrong = "line " + std::to_string(want) + ": '" + std::string(line) + "'";
  }
  CHECK(wrong == "");
  CHECK(want == kLines + 1);
  CHECK(contains(d.supd_output(), "works again"));
  d.finish();
}
