// The README's first run, as a newcomer does it (issue 17): what supd says on the terminal
// when it finds no config file.
#include "tests/support/harness.hpp"

using namespace supd::test;

TEST_CASE("supd --detach without a config file says so on the terminal with the path and the next step",
          "[integration][first_run][issue17]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d("", opts);
  const fs::path expected = d.dir() / "config" / "supd" / "supd.toml";  // XDG_CONFIG_HOME's default
  const auto r = run_process({SUPD_BIN, "--socket", d.socket().string(), "--log-dir", d.log_dir().string(), "--detach"},
                             d.env(), 30s);
  INFO("exit " << r.exit_code << "\nout: " << r.out << "\nerr: " << r.err);
  CHECK_FALSE(r.timed_out);
  REQUIRE(r.exit_code == 0);  // it runs, with no jobs, and says so
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "no config at " + expected.string()));
  CHECK(contains(r.err, "supctl reload"));

  const auto status = d.ctl({"--json", "status"});
  CHECK(status.exit_code == kOk);
  const auto shutdown = d.ctl({"shutdown"});
  CHECK(shutdown.exit_code == kOk);
  CHECK(eventually([&] { return d.tagged().empty() && !fs::exists(d.socket()); }));
}
