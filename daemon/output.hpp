// Output capture on the event loop: one non-blocking reader per pipe, copying into the job's
// log file. No thread per job; one shared buffer. A pipe is closed at EOF, not at the job's
// exit, because a grandchild may still hold it.
#pragma once
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <array>
#include <map>
#include <memory>

#include "daemon/output_sink.hpp"

namespace supd::daemon {

class OutputCapture final : public OutputSink {
public:
  explicit OutputCapture(asio::io_context& io) : io_(io) {}
  ~OutputCapture() override;

  void attach(const std::string& job, std::vector<CaptureStream> streams) override;
  void drain(const std::string& job) override;
  void close_all();  // at exit: copy what is left, then stop reading
  std::size_t open_streams() const { return readers_.size(); }

private:
  struct Reader {
    std::string job;
    asio::posix::stream_descriptor pipe;
    CaptureStream stream;
    bool write_failed = false;  // logged once, not per chunk
  };
  void wait(const std::shared_ptr<Reader>& reader);
  bool copy_available(Reader& reader);  // false at EOF or on a read error
  void close(const std::shared_ptr<Reader>& reader);

  asio::io_context& io_;
  std::multimap<std::string, std::shared_ptr<Reader>> readers_;
  std::array<char, 1 << 16> buffer_{};  // shared: the loop copies one chunk at a time
};

}  // namespace supd::daemon
