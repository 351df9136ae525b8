// A full disk holds the job back through its pipe instead of dropping its output: supd says
// so once, keeps answering, and writes everything once space returns (issue 4, TESTPLAN).
// Needs a small tmpfs, so root; elsewhere the case says why it did not run.
#include <cerrno>
#include <cstring>
#include <sys/mount.h>

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
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
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
          "[integration][logs][diskfull]") {
  // 40 000 lines of 100 bytes (4 MB) into a 512 KiB file system.
  DaemonOptions options;
  options.start = false;  // the tmpfs goes on the log dir first
  TestDaemon d("[jobs.spew]\ncommand = [\"@HELPERS@/seqspew\", \"40000\", \"100\"]\nrestart = \"never\"\n"
               "log_max_size = 0\n",
               options);
  SmallTmpfs fs_(d.log_dir(), "512k");
  if (!fs_.mounted()) {
    WARN("cannot mount a tmpfs here (" + fs_.error() + "; needs root): the disk-full case did not run");
    return;
  }
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
