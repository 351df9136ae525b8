// Output capture on the event loop: one non-blocking reader per pipe, copying into the job's
// log file. No thread per job; one shared buffer. A pipe is closed at EOF, not at the job's
// exit, because a grandchild may still hold it. Bytes are peeked (tee(2), PipePeek) and then
// moved from the pipe into the file (splice(2), LogFile::write_from_pipe): a kill -9 of supd
// anywhere leaves each byte either in the pipe, for the next supd, or in the file, never both
// (docs/design-decisions.md, "Output is moved from the pipe into the file in one step").
#pragma once
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "daemon/output/aside_reader.hpp"
#include "daemon/output/line_stamper.hpp"
#include "daemon/output/log_dir_watch.hpp"
#include "daemon/output/log_file.hpp"
#include "daemon/output/pipe_peek.hpp"
#include "daemon/core/log_service.hpp"
#include "daemon/core/output_sink.hpp"

namespace supd::daemon {

class OutputCapture final : public OutputSink, public LogService {
public:
  // Told of every pipe taken in (job, log path, fd) and of every pipe closed at its EOF, before
  // it is closed: the fd holder keeps duplicates so that the pipes outlive supd.
  using PipeOpened = std::function<void(const std::string&, const std::filesystem::path&, int)>;
  using PipeClosed = std::function<void(int)>;
  struct PipeHooks {
    PipeOpened opened;
    PipeClosed closed;
  };
  // `log_dir`: where the files lie; each (re)open walks from its fd (daemon/output/log_dir.hpp).
  OutputCapture(asio::io_context& io, std::filesystem::path log_dir, PipeHooks hooks);
  ~OutputCapture() override;

  void attach(const std::string& job, std::vector<CaptureStream> streams) override;
  void drain(const std::string& job) override;
  void set_log_limits(const std::string& job, std::uint64_t max_size, int keep) override;
  std::uint64_t bytes_written(const std::filesystem::path& log) override { return file_for(log)->bytes_written(); }
  void close_all();  // at exit: copy what is left, then stop reading; followers get their end

  std::uint64_t follow(const std::filesystem::path& file, LogFollower follower) override;
  void unfollow(std::uint64_t token) override;
  std::uint64_t end_of(const std::filesystem::path& file) override { return bytes_written(file); }
  std::size_t reopen_all() override;
  void read_aside(std::function<LoopStep()> read) override { aside_.run(std::move(read)); }
  std::size_t open_streams() const { return readers_.size(); }

private:
  struct Reader {
    std::string job;
    asio::posix::stream_descriptor pipe;
    std::shared_ptr<LogFile> file;  // shared with other readers of the same path; file->path() names it
    // What supd owes the file before it takes more from the pipe: copying by splice, the rest of
    // a timestamp a write error cut short (the job's bytes wait in its pipe); by read(2) and
    // write(2), the rest of the chunk read.
    std::string pending;
    std::optional<LineStamper> stamper;  // timestamps = "prefix"
    asio::steady_timer retry;
    bool waiting = false;  // an async_wait on the pipe is outstanding (never two)
    // Disk full (or any write error): the pipe is not read meanwhile (so the job blocks once its
    // pipe is full: back-pressure, nothing dropped), and a timer tries again every second.
    bool held = false;
    bool peek = true;  // tee(2) works on this pipe (else read(2) and write(2))
  };
  // How much one call copies: chunks one after the other, and bytes taken from the pipe.
  struct Budget {
    std::size_t chunks = SIZE_MAX;
    std::size_t bytes = SIZE_MAX;
  };
  void wait(const std::shared_ptr<Reader>& reader);
  // Copies until the pipe is empty or the budget is spent (true), at EOF or a read error
  // (false), or until a write fails (true, with reader.held set and the retry timer armed).
  // The bound keeps a job that writes without pause from holding the loop: after it, the
  // reader waits again and the loop serves everything else first.
  bool copy_available(const std::shared_ptr<Reader>& reader, Budget budget, bool* limited = nullptr);
  enum class Copied { Some, Empty, End, Held };
  Copied copy_chunk(const std::shared_ptr<Reader>& reader, std::size_t& taken);
  Copied splice_chunk(const std::shared_ptr<Reader>& reader, std::size_t& taken);  // tee, read, splice
  Copied read_chunk(const std::shared_ptr<Reader>& reader, std::size_t& taken);    // read, write
  // drain() and close_all(): what the pipe holds now; not an endless stream from a grandchild
  // that writes on.
  static Budget drain_budget(Reader& reader);
  static std::optional<std::size_t> in_pipe(Reader& reader);  // FIONREAD: bytes waiting in it
  void on_readable(const std::shared_ptr<Reader>& reader);
  static constexpr std::size_t kReadsPerTurn = 4;   // 1 MiB with the 256 KiB buffer
  static constexpr std::size_t kReadsToDrain = 40;  // more than a full 1 MiB pipe holds, when FIONREAD fails
  // timestamps = "prefix" costs a write(2) and a splice(2) per line: a chunk takes at most
  // this many lines, so that a turn of a job writing short lines stays short.
  static constexpr std::size_t kStampedLinesPerChunk = 64;
  bool flush_pending(const std::shared_ptr<Reader>& reader);  // true when nothing is left pending
  void hold_back(const std::shared_ptr<Reader>& reader);      // errno: the write's
  void released(Reader& reader);                               // a write worked: no longer held
  void retry_later(const std::shared_ptr<Reader>& reader);
  void close(const std::shared_ptr<Reader>& reader);
  std::shared_ptr<LogFile>& file_for(const std::filesystem::path& path);
  // A directory event named `path`: a live log file deleted, or moved out of the log dir, is
  // created again at once and supd says so (a rename within it is logrotate's; see
  // LogDirWatch).
  void on_name_changed(const std::filesystem::path& path, bool renamed_within);
  void recreate(LogFile& file, std::string_view what);

  asio::io_context& io_;
  RotationWorker rotation_worker_;  // before the files: it outlives every LogFile that points at it
  // One listing per log directory for the adoptions of one loop turn (a start-up spawns a batch
  // a turn); forgotten at the end of it (forget_census_soon).
  RotationCensus census_;
  bool census_forget_posted_ = false;
  void forget_census_soon();
  std::filesystem::path log_dir_;
  LogDirWatch watch_;
  std::multimap<std::string, std::shared_ptr<Reader>> readers_;
  // How many readers write each file (jobs may share one): a spawn or an exit looks up its file
  // here instead of walking every reader.
  std::unordered_map<const LogFile*, int> readers_of_;
  // By normalized path (a string: a std::filesystem::path keeps a list of its components,
  // hundreds of bytes per job with many jobs), kept for followers.
  std::map<std::string, std::shared_ptr<LogFile>, std::less<>> files_;
  std::map<std::uint64_t, std::pair<std::shared_ptr<LogFile>, std::function<void()>>> followers_;  // token -> file, on_end
  std::uint64_t next_token_ = 1;
  // Shared: the loop copies one chunk at a time. 256 KiB: a peek and a splice cost four system
  // calls where a read and a write cost two, so a chunk is larger than the 64 KiB it was.
  static constexpr std::size_t kChunkBytes = 1 << 18;
  static constexpr std::size_t kStampedChunkBytes = 1 << 16;  // at most 64 lines of it are used
  std::vector<char> buffer_ = std::vector<char>(kChunkBytes);
  std::size_t held_back_ = 0;           // readers held back, for the one log line
  PipePeek peek_{kChunkBytes};
  bool peek_said_ = false;  // supd's log said once why nothing is peeked
  const PipeHooks hooks_;
  AsideReader aside_;  // last: a read under way ends before anything else goes
};

}  // namespace supd::daemon
