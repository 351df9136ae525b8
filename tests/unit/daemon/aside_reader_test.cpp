// AsideReader: a long read runs on its worker thread, never the loop's, and the step it
// returns runs on the loop.
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>

#include "daemon/output/aside_reader.hpp"

using supd::daemon::AsideReader;

TEST_CASE("AsideReader reads on its worker and answers on the loop", "[logs][aside]") {
  asio::io_context io(1);
  // The loop waits for the step: nothing else here would keep io.run() going meanwhile.
  auto work = asio::make_work_guard(io);
  std::thread::id read_on, step_on;
  int steps = 0;
  {
    AsideReader reader(io);
    for (int i = 0; i < 3; ++i)
      reader.run([&]() -> AsideReader::LoopStep {
        read_on = std::this_thread::get_id();
        return [&] {
          step_on = std::this_thread::get_id();
          if (++steps == 3) work.reset();
        };
      });
    io.run();
  }
  CHECK(steps == 3);
  CHECK(step_on == std::this_thread::get_id());
  CHECK(read_on != std::thread::id());
  CHECK(read_on != std::this_thread::get_id());
}

TEST_CASE("AsideReader's destructor waits for a read under way", "[logs][aside]") {
  asio::io_context io(1);
  bool read_done = false;
  {
    AsideReader reader(io);
    reader.run([&]() -> AsideReader::LoopStep {
      read_done = true;
      return [] {};
    });
  }  // joins: the read has run, its step waits in the loop's queue
  CHECK(read_done);
  CHECK(io.poll() == 1);
}
