#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/line_reader.hpp"

using supd::common::LineReader;
using ReadStatus = LineReader::Status;

namespace {
// Drains every complete result: lines as text, TooLong as "<too long>".
std::vector<std::string> drain(LineReader& r) {
  std::vector<std::string> out;
  std::string line;
  for (;;) {
    const auto st = r.next(line);
    if (st == ReadStatus::NeedMore) return out;
    out.push_back(st == ReadStatus::Line ? line : "<too long>");
  }
}
}  // namespace

TEST_CASE("a line split over three feeds arrives whole", "[line_reader]") {
  LineReader r(1024);
  std::string line;
  r.feed("{\"id\":");
  CHECK(r.next(line) == ReadStatus::NeedMore);
  r.feed("1,\"method\":");
  CHECK(r.next(line) == ReadStatus::NeedMore);
  r.feed("\"status\"}\n");
  REQUIRE(r.next(line) == ReadStatus::Line);
  CHECK(line == R"({"id":1,"method":"status"})");
  CHECK(r.next(line) == ReadStatus::NeedMore);
  CHECK(r.buffered() == 0);
}

TEST_CASE("many lines in one feed come out in order", "[line_reader]") {
  LineReader r(1024);
  r.feed("a\nbb\n\nccc\nunfinished");
  CHECK(drain(r) == std::vector<std::string>{"a", "bb", "", "ccc"});
  CHECK(r.buffered() == std::string("unfinished").size());
  r.feed("\n");
  CHECK(drain(r) == std::vector<std::string>{"unfinished"});
}

TEST_CASE("one trailing CR is stripped, other CRs are kept", "[line_reader]") {
  LineReader r(1024);
  r.feed("a\r\n\r\nb\r\r\nc\rd\n");
  CHECK(drain(r) == std::vector<std::string>{"a", "", "b\r", "c\rd"});
}

TEST_CASE("byte-by-byte feeding gives the same lines", "[line_reader]") {
  const std::string input = "first\r\nsecond\n\nthird line here\n";
  LineReader r(64);
  std::vector<std::string> got;
  for (char c : input) {
    r.feed(std::string_view(&c, 1));
    for (auto& l : drain(r)) got.push_back(l);
  }
  CHECK(got == std::vector<std::string>{"first", "second", "", "third line here"});
}

TEST_CASE("a line of exactly the cap is fine, one byte more is TooLong", "[line_reader]") {
  LineReader r(8);
  r.feed("12345678\n123456789\nok\n");
  CHECK(drain(r) == std::vector<std::string>{"12345678", "<too long>", "ok"});
}

TEST_CASE("an over-cap line is TooLong exactly once, then the next line parses", "[line_reader]") {
  LineReader r(16);
  std::string line;
  r.feed(std::string(10, 'x'));
  CHECK(r.next(line) == ReadStatus::NeedMore);
  r.feed(std::string(10, 'x'));  // 20 buffered, no '\n': reported now, not at its end
  CHECK(r.next(line) == ReadStatus::TooLong);
  CHECK(r.next(line) == ReadStatus::NeedMore);
  CHECK(r.buffered() == 0);
  for (int i = 0; i < 100; ++i) {  // the rest of it is dropped, never buffered or re-reported
    r.feed(std::string(1000, 'y'));
    CHECK(r.next(line) == ReadStatus::NeedMore);
    CHECK(r.buffered() == 0);
  }
  r.feed("yyy\n{\"id\":2}\nnext");
  CHECK(drain(r) == std::vector<std::string>{"{\"id\":2}"});
  r.feed("\n");
  CHECK(drain(r) == std::vector<std::string>{"next"});
}

TEST_CASE("a 1 MiB + 1 line is TooLong and the following line still arrives", "[line_reader]") {
  constexpr std::size_t kCap = 1 << 20;
  LineReader r(kCap);
  const std::string chunk(64 * 1024, 'z');
  std::vector<std::string> got;
  for (std::size_t sent = 0; sent <= kCap; sent += chunk.size()) {
    r.feed(chunk);
    for (auto& l : drain(r)) got.push_back(l);
    CHECK(r.buffered() <= kCap + chunk.size());
  }
  r.feed("tail\n{\"id\":3,\"method\":\"pid\"}\n");
  for (auto& l : drain(r)) got.push_back(l);
  CHECK(got == std::vector<std::string>{"<too long>", "{\"id\":3,\"method\":\"pid\"}"});
}

TEST_CASE("the buffer stays bounded while lines stream through", "[line_reader]") {
  LineReader r(100);
  const std::string chunk = "0123456789abcdef\n0123";  // lines straddle every feed
  std::size_t lines = 0;
  for (int i = 0; i < 10000; ++i) {
    r.feed(chunk);
    lines += drain(r).size();
    CHECK(r.buffered() <= 100 + chunk.size());
  }
  CHECK(lines >= 10000);
}

TEST_CASE("CRLF split across feeds is still one line", "[line_reader]") {
  LineReader r(100);
  r.feed("abc\r");
  CHECK(drain(r).empty());
  r.feed("\ndef\n");
  CHECK(drain(r) == std::vector<std::string>{"abc", "def"});
}
