// The bounded queue in front of supd's own log: whole lines wait here while the reader of
// stderr does not read; when it is full, new lines are dropped and counted, never waited for.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace supd::daemon {

class LineBacklog {
public:
  // Writes what it can of [data, data + size) without blocking: the bytes written, or -1
  // with errno set (EAGAIN: not now).
  using WriteFn = std::function<ssize_t(const char* data, std::size_t size)>;

  static constexpr std::size_t kDefaultCapacity = 64 << 10;

  explicit LineBacklog(WriteFn write, std::size_t capacity = kDefaultCapacity);

  // One whole line, its '\n' included. Written now if it can be; else kept if it fits,
  // else dropped and counted.
  void push(std::string_view line);
  // Writes what waits, and the count of dropped lines once everything before it is out.
  void flush();

  bool empty() const { return pending_.empty() && dropped_ == 0; }
  // True when the last write said EAGAIN: a writable fd is worth waiting for. After any
  // other error (the reader is gone) waiting would spin; the next push tries again.
  bool waiting_for_reader() const { return blocked_ && !empty(); }
  std::uint64_t dropped() const { return dropped_; }  // not yet reported
  std::size_t pending_bytes() const { return pending_.size(); }

  // "supd: N log lines dropped (stderr was not being read)\n"
  static std::string dropped_line(std::uint64_t count);

private:
  enum class Outcome { Written, Blocked, Failed };
  Outcome write_some(std::string_view bytes, std::size_t& done);
  void write_pending();
  void report_dropped();

  WriteFn write_;
  std::size_t capacity_;
  std::string pending_;  // not written yet; its first line may be partly written already
  std::uint64_t dropped_ = 0;
  bool blocked_ = false;
};

}  // namespace supd::daemon
