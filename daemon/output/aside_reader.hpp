// One worker thread for reads of log files too long for the loop (`logs --since` reads up to
// 16 MiB): the read runs there, and the step it returns is posted back to the loop. The
// thread starts at the first read; the destructor waits for a read under way.
#pragma once
#include <functional>
#include <memory>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

namespace supd::daemon {

class AsideReader {
public:
  using LoopStep = std::function<void()>;
  explicit AsideReader(asio::io_context& io) : io_(io) {}
  ~AsideReader() {
    if (pool_) pool_->join();  // reads already asked for finish; their steps reach the loop or nothing
  }
  AsideReader(const AsideReader&) = delete;
  AsideReader& operator=(const AsideReader&) = delete;

  // `read` must touch nothing of the loop's: it gets what it reads by value (open fds).
  void run(std::function<LoopStep()> read) {
    if (!pool_) pool_ = std::make_unique<asio::thread_pool>(1);
    asio::post(*pool_, [&io = io_, read = std::move(read)] { asio::post(io, read()); });
  }

private:
  asio::io_context& io_;
  std::unique_ptr<asio::thread_pool> pool_;
};

}  // namespace supd::daemon
