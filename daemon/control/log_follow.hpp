// `logs -f` for one client, never dropped for being slow, never holding more than about a frame
// for it: the tail first, then each chunk supd writes to the log, pushed as it is written while
// the client keeps up. Once the client has kFollowLag unread (or supd's total is at its bound),
// the chunks are no longer pushed: the rest is read from the files at the client's pace
// (LogCatchUp), from the first byte not sent, across rotations, and when that reaches the
// log's end the pushing resumes, all on the loop, so no byte comes twice or goes missing.
// Like `tail -F` and `journalctl -f`; a follower so far behind that files were rotated away
// before it read them is told how many bytes it missed, where they were.
#pragma once
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/control/reply.hpp"
#include "daemon/core/log_service.hpp"
#include "daemon/output/line_stamper.hpp"
#include "daemon/output/log_catch_up.hpp"

namespace supd::daemon {

class LogFollow : public std::enable_shared_from_this<LogFollow> {
public:
  struct Spec {
    std::uint64_t id = 0;          // the request's
    std::filesystem::path path;    // the log file followed
    int keep = 0;                  // its log_keep: how many rotated files there may be
    bool stamp = false;            // --timestamps on a log without its own: each line gets its time
  };
  // Follows from the log's end now; nothing goes out before tail() gives the tail.
  static std::shared_ptr<LogFollow> begin(LogService& logs, Reply reply, Spec spec);
  LogFollow(LogService& logs, Reply reply, Spec spec);

  // The tail that goes first (read at once, or later on a worker); at least one piece is
  // sent, an empty one too: a client (`signal --expect`) waits for it to know the follow began.
  void tail(std::string text);

private:
  enum class Mode {
    Tail,    // the tail is not sent yet: chunks are left to be read from the files after it
    Behind,  // reading the files from next_ as the client drains them
    Live,    // chunks pushed as they are written
  };
  bool on_chunk(std::string_view chunk, std::uint64_t at);
  void on_end();
  std::string frame(bool& last);  // what the session pulls
  std::string tail_frame();
  std::string catch_up_frame(bool& last);
  void fall_behind();
  void wake();  // hands the source to the session again: pulling resumes
  std::string stamp_now(std::string_view text);
  std::string_view sent(std::string_view text);  // notes whether `text` ends a line; gives it back

  LogService& logs_;
  Reply reply_;
  Spec spec_;
  std::uint64_t token_ = 0;
  Mode mode_ = Mode::Tail;
  std::optional<std::string> tail_;   // until it is all sent
  std::size_t tail_sent_ = 0;
  std::uint64_t next_ = 0;            // the log position of the first byte not sent
  std::optional<LogCatchUp> catch_up_;  // Behind only: the files it reads
  std::deque<std::string> held_;      // frames due before the next pull's: a gap's, then its piece
  bool mid_line_ = false;             // the last byte sent was not '\n'
  std::optional<LineStamper> stamper_;
  bool ended_ = false;                // supd is shutting down: the end mark goes after the rest
};

}  // namespace supd::daemon
