// A start supd refuses after it bound its socket leaves no socket file behind (issue 15), and
// one refused because another supd runs leaves that supd's socket alone (R25 checks that).
#include "tests/support/harness.hpp"

using namespace supd::test;

TEST_CASE("a start refused after the socket was bound removes the socket it made", "[integration][daemon][issue15]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d("[jobs.web]\ncommand = [\"sleep\", \"1000\"]\n", opts);
  // A file where supd keeps its job records, which it checks after binding the socket.
  const fs::path records(d.socket().string() + ".jobs");
  write_file(records, "not a directory\n");
  const auto refused = d.run_supd(d.supd_flags(), 30s);
  INFO("exit " << refused.exit_code << "\nout: " << refused.out << "\nerr: " << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK(is_one_line(refused.err));
  CHECK(contains(refused.err, records.string()));
  CHECK_FALSE(fs::exists(d.socket()));
  CHECK(d.tagged().empty());

  fs::remove(records);
  d.start();  // and nothing stands in the next start's way
  CHECK(d.wait_running("web") > 0);
  d.finish();
}
