// The job records on disk (daemon/continuity/record_store.hpp): one journal for all jobs, its
// fold (last line wins, removals forget, torn lines skipped), its compaction, and the
// one-file-a-job records an older supd left, folded in once and removed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/continuity/record_store.hpp"
#include "tests/unit/daemon/unix_socket_fixtures.hpp"
#include "tests/unit/shared.hpp"

namespace supd::daemon {
namespace {

namespace fs = std::filesystem;
using supd::test_unit::TempDir;

JobRecord record(const std::string& name, pid_t pid, int spawns = 1) {
  return {name, pid, pid, 1000ULL + static_cast<unsigned>(pid), 1764090000000LL, spawns, {"sleep", "1000"}};
}

using supd::test_unit::slurp;

// A records dir in a fresh temp dir, made as supd makes it.
struct Scratch {
  TempDir dir{"supd-records-"};
  fs::path records = dir.path / "jobs";
  RecordStore store{records};
  Scratch() { store.create_dir(); }
};

std::size_t lines_in(const fs::path& p) {
  const auto text = slurp(p);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST_CASE("a journal folds to each job's last record, a removal forgets it, a torn line is skipped",
          "[job_record][records]") {
  const std::string text = encode_record(record("a", 10)) + encode_record(record("b", 20)) +
                           encode_record(record("a", 11, 2)) + encode_removal("b") + "{not json\n" +
                           encode_record(record("c", 30)) + encode_removal("nobody") +
                           encode_record(record("d", 40)).substr(0, 20);  // cut short by a kill -9
  std::size_t skipped = 0;
  const auto live = fold_journal(text, &skipped);
  CHECK(skipped == 2);
  REQUIRE(live.size() == 2);
  CHECK(live.at("a") == record("a", 11, 2));
  CHECK(live.at("c") == record("c", 30));
  // A removal line is not a record, and a record is not a removal.
  CHECK_FALSE(decode_record(encode_removal("a")));
  CHECK(fold_journal(encode_removal("a") + encode_record(record("a", 12))).at("a").pid == 12);
  CHECK(fold_journal("").empty());
}

TEST_CASE("the record store appends a line an event and loads what it wrote, compact", "[records]") {
  Scratch t;
  const auto& records = t.records;
  {
    auto& store = t.store;
    CHECK(store.write(record("a", 10)));
    CHECK(store.write(record("b", 20)));
    CHECK(store.write(record("a", 11, 2)));
    store.remove("b");
    CHECK(lines_in(store.journal_path()) == 4);  // appended, one file for all jobs
    CHECK(fs::directory_iterator(records) != fs::directory_iterator());
  }
  RecordStore next(records);  // the next supd
  const auto loaded = next.load_all();
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0] == record("a", 11, 2));
  CHECK(lines_in(next.journal_path()) == 1);  // rewritten compact
  CHECK(next.write(record("c", 30)));
  CHECK(RecordStore(records).load_all().size() == 2);
}

TEST_CASE("the journal is rewritten compact once it has grown past its threshold", "[records]") {
  Scratch t;
  auto& store = t.store;
  const auto one_line = encode_record(record("a", 10)).size();
  const auto writes = RecordStore::kMinCompactBytes / one_line + 2;
  for (std::size_t i = 0; i < writes; ++i) REQUIRE(store.write(record(i % 2 ? "a" : "b", 10 + static_cast<pid_t>(i))));
  // Past 1 MiB the journal folded to its two live jobs, then took the writes since.
  CHECK(fs::file_size(store.journal_path()) < RecordStore::kMinCompactBytes);
  const auto loaded = RecordStore(t.records).load_all();
  REQUIRE(loaded.size() == 2);
  CHECK(loaded[0].pid + loaded[1].pid == static_cast<pid_t>(10 + writes - 1 + 10 + writes - 2));
}

TEST_CASE("records an older supd left one file a job are folded into the journal and removed", "[records]") {
  Scratch t;
  const auto& records = t.records;
  CHECK(t.store.write(record("a", 10)));
  std::ofstream(records / "a.json") << encode_record(record("a", 11, 5));  // newer than the journal
  std::ofstream(records / "b.json") << encode_record(record("b", 20));
  std::ofstream(records / "c.json") << encode_record(record("other", 30));  // not its own name
  std::ofstream(records / "junk.json") << "{not json";
  std::ofstream(records / ".b.json.tmp") << "half";
  std::ofstream(records / ".records.Ab12Cd") << "half";  // a compaction's temp file, cut short
  RecordStore next(records);
  const auto loaded = next.load_all();
  REQUIRE(loaded.size() == 2);
  CHECK(loaded[0] == record("a", 11, 5));
  CHECK(loaded[1] == record("b", 20));
  for (const char* gone : {"a.json", "b.json", "c.json", "junk.json", ".b.json.tmp", ".records.Ab12Cd"})
    CHECK_FALSE(fs::exists(records / gone));
  CHECK(lines_in(next.journal_path()) == 2);
}

}  // namespace
}  // namespace supd::daemon
