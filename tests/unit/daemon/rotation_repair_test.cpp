// Rotation that a kill -9 may cut anywhere (TESTPLAN R92): the plan that numbers pending and
// shifted files, cut after every one of its steps (and in the middle of a step) on real files,
// then repaired as the next supd does; the tail reader over every such state; the worker.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "daemon/output/log_file.hpp"
#include "daemon/output/log_index.hpp"
#include "daemon/output/rotation_census.hpp"
#include "daemon/output/rotation_repair.hpp"
#include "daemon/output/rotation_worker.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::daemon;
namespace fs = std::filesystem;

namespace {

constexpr const char* kName = "j.out";

// A temp dir and an fd open on it, as a log's directory fd is.
struct DirWithFd : supd::test_unit::TempDir {
  DirWithFd() : fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  supd::common::UniqueFd fd;
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// A log's content by its age: 1 the newest rotated file. Each file is one line.
std::string line_of(int age) { return "age " + std::to_string(age) + "\n"; }

// `pending` pending files (ages 1..pending, the newest with the highest seq) above numbered
// files .1...numbered (ages after them), each with a side index naming its age.
void lay_out(const fs::path& dir, int pending, int numbered) {
  for (int i = 0; i < pending; ++i) {
    const int age = pending - i;
    const auto file = pending_name(kName, 7 + static_cast<std::uint64_t>(i));
    write(dir / file, line_of(age));
    write(index_path(dir / file), "0 " + std::to_string(age) + "\n");
  }
  for (int k = 1; k <= numbered; ++k) {
    write(dir / numbered_name(kName, k), line_of(pending + k));
    write(index_path(dir / numbered_name(kName, k)), "0 " + std::to_string(pending + k) + "\n");
  }
  write(dir / kName, "live\n");
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// "" when the directory holds exactly <name>, <name>.1 ... <name>.<n> with ages 1..n, each
// index (if any) naming the file's own age; else what is wrong.
std::string settled(const fs::path& dir, int n) {
  std::set<std::string> want{kName, index_path(kName).string()};
  for (int k = 1; k <= n; ++k) {
    const auto file = numbered_name(kName, k);
    want.insert(file);
    if (read(dir / file) != line_of(k)) return file + " holds '" + read(dir / file) + "'";
    const auto idx = index_path(dir / file);
    if (fs::exists(idx)) {
      want.insert(idx.filename().string());
      if (read(idx) != "0 " + std::to_string(k) + "\n") return idx.string() + " describes another file";
    }
  }
  want.erase(index_path(kName).string());  // the live file has none in these tests
  const auto got = listing(dir);
  if (got == want) return "";
  std::string text = "files:";
  for (const auto& f : got) text += " " + f;
  return text;
}

// The tail reader's whole view: the rotated files' lines, oldest first, then the live one.
std::string everything(const fs::path& dir, int keep) { return read_tail(dir / kName, keep, 100000, 1 << 20); }

std::string expected_tail(int from_age) {
  std::string text;
  for (int age = from_age; age >= 1; --age) text += line_of(age);
  return text + "live\n";
}

}  // namespace

TEST_CASE("plan_rotation: pending files take .1.. and the numbered ones shift up, top first", "[rotation][R92]") {
  RotationSet set;
  set.pending = {4, 5};
  set.numbered = {1, 2};
  const std::vector<RotationStep> want{{"j.out.2", "j.out.4"},
                                       {"j.out.1", "j.out.3"},
                                       {".j.out.pending.4", "j.out.2"},
                                       {".j.out.pending.5", "j.out.1"}};
  CHECK(plan_rotation(kName, set, 10) == want);
  // Past log_keep: the oldest go first, before anything moves.
  const std::vector<RotationStep> keep2{{"j.out.2", ""}, {"j.out.1", ""}, {".j.out.pending.4", "j.out.2"},
                                        {".j.out.pending.5", "j.out.1"}};
  CHECK(plan_rotation(kName, set, 2) == keep2);
  // A gap (a shift cut short) closes downwards, lowest first.
  set.pending = {};
  set.numbered = {1, 4, 5};
  const std::vector<RotationStep> gap{{"j.out.4", "j.out.2"}, {"j.out.5", "j.out.3"}};
  CHECK(plan_rotation(kName, set, 10) == gap);
  set.numbered = {1, 2, 3};
  CHECK(plan_rotation(kName, set, 10).empty());  // settled already: nothing to do
}

TEST_CASE("scan_rotation finds pending, numbered and orphaned index files of one log only", "[rotation][R92]") {
  DirWithFd t;
  lay_out(t.path, 2, 3);
  write(t.path / "j.out.007", "not ours\n");     // not a number we write
  write(t.path / "j.out.1.gz", "not ours\n");
  write(t.path / "k.out.1", "another log\n");
  write(index_path(t.path / "j.out.9"), "0 1\n");  // its file is gone
  const auto set = scan_rotation(t.fd.get(), kName);
  CHECK(set.pending == std::vector<std::uint64_t>{7, 8});
  CHECK(set.numbered == std::vector<int>{1, 2, 3});
  CHECK(set.orphan_indexes == std::vector<std::string>{".j.out.9.idx"});
  CHECK(set.max_seq == 8);
  CHECK(rotated_newest_first(kName, set, 4) ==
        std::vector<std::string>{".j.out.pending.8", ".j.out.pending.7", "j.out.1", "j.out.2"});
}

TEST_CASE("rotated_file_bases names the log of every file a rotation leaves, and none of a live log",
          "[rotation][census]") {
  const auto has = [](std::string_view entry) {
    const auto bases = rotated_file_bases(entry);
    return std::find(bases.begin(), bases.end(), kName) != bases.end();
  };
  CHECK(has(numbered_name(kName, 3)));
  CHECK(has(pending_name(kName, 12)));
  CHECK(has(index_path(numbered_name(kName, 1)).string()));
  CHECK(has(index_path(pending_name(kName, 7)).string()));
  CHECK(rotated_file_bases(kName).empty());
  CHECK(rotated_file_bases(index_path(kName).string()).empty());
  CHECK(rotated_file_bases("supd.log").empty());
  CHECK(rotated_file_bases(".").empty());
  CHECK(rotated_file_bases("..").empty());
}

TEST_CASE("with a census, only a log with rotated files is put in order at its first adoption",
          "[rotation][census][R92]") {
  DirWithFd t;
  lay_out(t.path, 2, 1);  // a rotation of j.out a kill cut short
  write(t.path / "k.out", "live\n");
  RotationCensus census;
  CHECK(census.may_have_rotated(t.fd.get(), t.path.string(), kName));
  CHECK_FALSE(census.may_have_rotated(t.fd.get(), t.path.string(), "k.out"));
  fs::remove(t.path / "k.out");  // settled() wants j.out's files alone

  std::string error;
  LogFile file(t.path / kName, {}, nullptr, &census);
  file.adopt(open_log_file(t.path / kName, error), 1 << 20, 5);
  CHECK(settled(t.path, 3).empty());

  // The listing is the one made first, until forgotten (OutputCapture: at the end of the turn).
  write(t.path / numbered_name("k.out", 1), "old\n");
  CHECK_FALSE(census.may_have_rotated(t.fd.get(), t.path.string(), "k.out"));
  census.forget();
  CHECK(census.may_have_rotated(t.fd.get(), t.path.string(), "k.out"));
}

TEST_CASE("a rotation cut after any step, or inside one, is finished by the next supd's repair",
          "[rotation][R92]") {
  struct Case {
    int pending, numbered, keep;
  };
  // Pending files alone, a shift under way (a gap), both; room to spare and a full log_keep.
  for (const auto c : {Case{1, 0, 5}, Case{1, 3, 10}, Case{3, 4, 10}, Case{2, 5, 5}, Case{4, 2, 3}, Case{2, 0, 1}}) {
    RotationSet set;
    for (int i = 0; i < c.pending; ++i) set.pending.push_back(7 + static_cast<std::uint64_t>(i));
    for (int k = 1; k <= c.numbered; ++k) set.numbered.push_back(k);
    const auto plan = plan_rotation(kName, set, c.keep);
    const int total = std::min(c.pending + c.numbered, c.keep);
    for (std::size_t cut = 0; cut <= plan.size(); ++cut) {
      for (const bool torn : {false, true}) {  // torn: the cut fell between a file's rename and its index's
        if (torn && (cut == plan.size() || plan[cut].to.empty())) continue;
        INFO("pending " << c.pending << ", numbered " << c.numbered << ", keep " << c.keep << ", cut after step "
                        << cut << (torn ? " and the next one's log file" : ""));
        DirWithFd t;
        lay_out(t.path, c.pending, c.numbered);
        for (std::size_t s = 0; s < cut; ++s) REQUIRE(apply_rotation_step(t.fd.get(), plan[s]));
        if (torn) REQUIRE(::renameat(t.fd.get(), plan[cut].from.c_str(), t.fd.get(), plan[cut].to.c_str()) == 0);
        // Meanwhile every line is readable, once and in order: the newest log_keep files.
        if (!torn) CHECK(everything(t.path, c.keep) == expected_tail(total));
        REQUIRE(settle_rotation(t.fd.get(), kName, c.keep));
        CHECK(settled(t.path, total) == "");
        CHECK(everything(t.path, c.keep) == expected_tail(total));
      }
    }
  }
}

TEST_CASE("a rotation never overwrites: a file at a step's target stops the settling", "[rotation][R92]") {
  DirWithFd t;
  lay_out(t.path, 0, 2);
  write(t.path / pending_name(kName, 1), "x\n");
  write(t.path / "j.out.3", "in the way\n");
  // The plan made without the file at .3 would move .2 there: refused, nothing lost.
  errno = 0;
  CHECK_FALSE(apply_rotation_step(t.fd.get(), {"j.out.2", "j.out.3"}));
  CHECK(errno == EEXIST);
  CHECK(read(t.path / "j.out.3") == "in the way\n");
}

TEST_CASE("LogFile with the worker: many rotations at a large log_keep end numbered 1.. in order",
          "[rotation][logfile][R92]") {
  DirWithFd t;
  lay_out(t.path, 2, 3);  // what a killed supd left: two pending files above three numbered ones
  fs::remove(t.path / kName);
  RotationWorker worker;
  const auto live = t.path / kName;
  std::string error;
  {
    LogFile file(live, {}, &worker);
    file.adopt(open_log_file(live, error), 8, 1000);
    worker.wait_idle();  // the settling queued at adoption finishes what the killed supd began
    REQUIRE(settled(t.path, 5) == "");
    for (int i = 300; i >= 1; --i) REQUIRE(file.write("new " + std::to_string(i) + "\n"));  // 8 bytes a line
  }
  worker.wait_idle();
  const auto names = listing(t.path);
  int files = 0;
  while (names.contains(numbered_name(kName, files + 1))) ++files;
  CHECK(files == 299 + 5);  // "new 300" .. "new 2" rotated, 1 live; none pending, no gap
  for (const auto& n : names) CHECK(n.find(".pending.") == std::string::npos);
  CHECK(read(t.path / "j.out.1") == "new 2\n");
  CHECK(read(t.path / "j.out.299") == "new 300\n");
  CHECK(read(t.path / "j.out.300") == line_of(1));
  CHECK(read_tail(live, 1000, 3, 1 << 20) == "new 3\nnew 2\nnew 1\n");
}
