// What of a chunk comes from the job's pipe and what is supd's own (daemon/output/chunk_layout.hpp),
// the stamper that lays a chunk out, and where copying resumes after a write stopped short.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "daemon/output/chunk_layout.hpp"
#include "daemon/output/line_stamper.hpp"

using namespace supd::daemon;

namespace {

// "P5 O2": a pipe run of 5 bytes, then 2 of supd's own.
std::string describe(const std::vector<ChunkRun>& runs) {
  std::string out;
  for (const auto& r : runs)
    out += (out.empty() ? "" : " ") + std::string(r.from_pipe ? "P" : "O") + std::to_string(r.size);
  return out;
}

}  // namespace

TEST_CASE("ChunkLayout joins adjacent runs of one kind and counts the pipe's bytes", "[output][splice]") {
  ChunkLayout l;
  l.add(3, false);
  l.add(0, true);  // nothing: no run
  l.add(4, true);
  l.add(2, true);
  l.add(3, false);
  l.add(1, true);
  CHECK(describe(l.runs()) == "O3 P6 O3 P1");
  CHECK(l.size() == 13);
  CHECK(l.from_pipe() == 7);
  CHECK(l.from_pipe_within(0) == 0);
  CHECK(l.from_pipe_within(3) == 0);
  CHECK(l.from_pipe_within(5) == 2);
  CHECK(l.from_pipe_within(11) == 6);
  CHECK(l.from_pipe_within(13) == 7);
}

TEST_CASE("ChunkLayout::within cuts the runs at both ends of a piece", "[output][splice]") {
  ChunkLayout l;
  l.add(3, false);
  l.add(6, true);
  l.add(3, false);
  l.add(1, true);
  CHECK(describe(l.within(0, 13)) == "O3 P6 O3 P1");
  CHECK(describe(l.within(0, 3)) == "O3");
  CHECK(describe(l.within(2, 4)) == "O1 P3");
  CHECK(describe(l.within(9, 4)) == "O3 P1");
  CHECK(describe(l.within(5, 0)).empty());
}

TEST_CASE("LineStamper lays a chunk out: each prefix supd's own, the chunk's bytes the pipe's",
          "[output][splice][timestamps]") {
  LineStamper s;
  ChunkLayout l;
  CHECK(s.stamp("ab\ncd\nef", "T ", l, 100) == "T ab\nT cd\nT ef");
  CHECK(describe(l.runs()) == "O2 P3 O2 P3 O2 P2");
  CHECK(l.from_pipe() == 8);
  CHECK_FALSE(s.at_line_start());

  ChunkLayout rest;  // the line goes on: no prefix before its rest
  CHECK(s.stamp("gh\n", "T ", rest, 100) == "gh\n");
  CHECK(describe(rest.runs()) == "P3");
  CHECK(s.at_line_start());
}

TEST_CASE("LineStamper with a line bound takes only the chunk's first lines", "[output][splice][timestamps]") {
  LineStamper s;
  ChunkLayout l;
  CHECK(s.stamp("a\nb\nc\nd", "T ", l, 2) == "T a\nT b\n");
  CHECK(l.from_pipe() == 4);  // "c\nd" stays in the pipe for the next chunk
  CHECK(s.at_line_start());
  ChunkLayout next;
  CHECK(s.stamp("c\nd", "T ", next, 2) == "T c\nT d");
  CHECK(next.from_pipe() == 3);
  // The same output as stamping it whole.
  LineStamper whole;
  CHECK(whole.stamp("a\nb\nc\nd", "T ") == "T a\nT b\nT c\nT d");
}

TEST_CASE("resume_after: a prefix cut short is owed, one whose line began is not given again",
          "[output][splice][timestamps]") {
  LineStamper s;
  ChunkLayout l;
  const std::string text = s.stamp("ab\ncd\n", "T ", l, 100);  // "T ab\nT cd\n": O2 P3 O2 P3
  REQUIRE(text == "T ab\nT cd\n");
  SECTION("nothing written: the first prefix is owed whole, its line not yet begun") {
    const auto r = resume_after(text, l, 0, true);
    CHECK(r.owed == "T ");
    CHECK_FALSE(r.at_line_start);
  }
  SECTION("half a prefix written: the rest of it is owed") {
    const auto r = resume_after(text, l, 1, true);
    CHECK(r.owed == " ");
    CHECK_FALSE(r.at_line_start);
  }
  SECTION("the prefix written, not its line: the line continues unstamped") {
    const auto r = resume_after(text, l, 2, true);
    CHECK(r.owed.empty());
    CHECK_FALSE(r.at_line_start);
  }
  SECTION("part of the line written") {
    const auto r = resume_after(text, l, 3, true);
    CHECK(r.owed.empty());
    CHECK_FALSE(r.at_line_start);
  }
  SECTION("a whole line written, the next prefix not begun: it is owed") {
    const auto r = resume_after(text, l, 5, true);
    CHECK(r.owed == "T ");
    CHECK_FALSE(r.at_line_start);
  }
}

TEST_CASE("resume_after without prefixes: nothing owed, the line state from the last byte in", "[output][splice]") {
  ChunkLayout l;
  l.add(6, true);
  const std::string text = "ab\ncd\n";
  CHECK(resume_after(text, l, 0, false).at_line_start == false);  // as before the chunk
  CHECK(resume_after(text, l, 0, true).at_line_start == true);
  CHECK(resume_after(text, l, 2, true).at_line_start == false);
  CHECK(resume_after(text, l, 3, false).at_line_start == true);
  CHECK(resume_after(text, l, 3, false).owed.empty());
}
