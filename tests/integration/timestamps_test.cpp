// Output timestamps (issue 4): the log stays byte-exact while `logs --timestamps` and
// `--since` read times from the side index; timestamps = "prefix" writes them in the file.
#include "common/time_format.hpp"
#include "tests/support/ctl_follower.hpp"
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// "" when every line is "<ISO time> <n> ..." with n counting from 1 to `count`; else why not.
std::string check_stamped_sequence(const std::string& text, long long count) {
  long long want = 1;
  const auto now = supd::common::unix_ms_now();
  for (const auto& line : lines_of(text)) {
    const auto t = supd::common::parse_iso8601_utc_ms(line);
    if (!t || *t > now) return "no time (or one in the future) on: " + line.substr(0, 60);
    if (line.size() <= supd::common::kIsoTimeWidth + 1 || line[supd::common::kIsoTimeWidth] != ' ')
      return "no space after the time on: " + line.substr(0, 60);
    const auto rest = line.substr(supd::common::kIsoTimeWidth + 1);
    if (std::stoll(rest) != want) return "expected " + std::to_string(want) + " on: " + line.substr(0, 60);
    ++want;
  }
  return want == count + 1 ? "" : "ended at line " + std::to_string(want - 1);
}

}  // namespace

TEST_CASE("timestamps = prefix: every line in the file starts with its time, none split or doubled",
          "[integration][logs][timestamps][R37]") {
  // 5000 lines of 50 bytes, written through a 333-byte buffer: lines arrive in pieces.
  TestDaemon d(R"([jobs.p]
command = ["@HELPERS@/seqspew", "5000", "50", "", "333"]
restart = "never"
timestamps = "prefix"
)");
  REQUIRE(d.wait_state("p", "exited", 60s));
  CHECK(check_stamped_sequence(d.read_log("p"), 5000) == "");
  // --timestamps does not stamp such lines twice; --since reads their own times.
  const auto r = d.ctl({"logs", "p", "-n", "3", "--timestamps"});
  CHECK(r.exit_code == kOk);
  const auto file_lines = lines_of(d.read_log("p"));
  REQUIRE(file_lines.size() == 5000);
  CHECK(r.out == file_lines[4997] + "\n" + file_lines[4998] + "\n" + file_lines[4999] + "\n");
  CHECK(lines_of(d.ctl({"logs", "p", "--since", "1h"}).out).size() == 5000);
  d.finish();
}

TEST_CASE("logs --timestamps and --since: times from the side index, the log itself byte-exact",
          "[integration][logs][timestamps]") {
  TestDaemon d(R"([jobs.s]
command = ["@HELPERS@/seqspew", "2000", "40"]
restart = "never"
)");
  REQUIRE(d.wait_state("s", "exited", 60s));
  const auto raw = d.read_log("s");
  CHECK(raw.size() == 2000u * 40u);
  CHECK(std::stoll(raw) == 1);  // the file starts with line 1, no prefix

  const auto all = d.ctl({"logs", "s", "-n", "2000", "--timestamps"});
  REQUIRE(all.exit_code == kOk);
  CHECK(check_stamped_sequence(all.out, 2000) == "");

  const auto since = d.ctl({"logs", "s", "--since", "1h"});
  CHECK(since.exit_code == kOk);
  CHECK(since.out == raw);  // every line was written within the hour, unstamped

  const auto future = d.ctl({"logs", "s", "--since", "0s", "-n", "5"});
  CHECK(future.exit_code == kOk);  // nothing written since "now": an empty answer, not an error
  CHECK(future.out.empty());

  const auto bad = d.ctl({"logs", "s", "--since", "yesterday"});
  CHECK(bad.exit_code == kUsage);
  CHECK(is_one_line(bad.err));
  d.finish();
}

// The tail of `-f --since` is read on supd's worker while the job goes on writing: the lines
// written meanwhile wait behind the tail, so the two meet with none lost and none twice.
TEST_CASE("logs -f --since while the job writes: the tail and the follow meet with no line lost or doubled",
          "[integration][logs][timestamps]") {
  TestDaemon d(R"([jobs.s]
command = ["@HELPERS@/seqslow", "1", "n"]
)");
  REQUIRE(d.wait_running("s") > 0);
  REQUIRE(eventually([&] { return lines_of(d.read_log("s")).size() > 500; }, 30s));
  const auto out = d.dir() / "follow.out";
  CtlFollower follower(d, {"logs", "s", "-f", "--since", "1h", "--timestamps", "-n", "1000000"}, out);
  const std::size_t written_before = lines_of(d.read_log("s")).size();
  const auto target = "n " + std::to_string(written_before + 500) + "\n";
  REQUIRE(eventually([&] { return contains(read_file(out), target); }, 30s));
  auto text = read_file(out);
  text.resize(text.rfind('\n') + 1);  // the follow goes on: up to its last whole line
  long long want = 1;
  std::string problem;
  for (const auto& line : lines_of(text)) {
    const auto t = supd::common::parse_iso8601_utc_ms(line);
    const auto expected = "n " + std::to_string(want);
    if (!t || line.size() <= supd::common::kIsoTimeWidth + 1 ||
        line.substr(supd::common::kIsoTimeWidth + 1) != expected) {
      problem = "expected a stamped '" + expected + "', got: " + line.substr(0, 60);
      break;
    }
    ++want;
  }
  INFO(problem);
  CHECK(problem.empty());
  CHECK(want > static_cast<long long>(written_before + 500));
  d.finish();
}
