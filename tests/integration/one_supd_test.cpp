// One supd per user and state dir (issue 17): a second supd started where XDG_RUNTIME_DIR
// differs is refused by name instead of running every job twice, and a supctl in that shell
// finds the running one and says where, or names every place it looked.
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// The environment of a shell whose XDG_RUNTIME_DIR is `runtime` instead of the daemon's.
std::vector<std::string> with_runtime_dir(const TestDaemon& d, const fs::path& runtime) {
  std::vector<std::string> env;
  for (const auto& kv : d.env())
    env.push_back(kv.rfind("XDG_RUNTIME_DIR=", 0) == 0 ? "XDG_RUNTIME_DIR=" + runtime.string() : kv);
  return env;
}

}  // namespace

TEST_CASE("a supd under another XDG_RUNTIME_DIR is refused and supctl there finds the running one",
          "[integration][one_supd]") {
  DaemonOptions opts;
  opts.pass_socket = false;  // both the XDG defaults, as a user has them
  opts.pass_log_dir = false;
  TestDaemon d(R"(
[jobs.once]
command = ["sh", "-c", "echo x >> @DIR@/starts; exec sleep 1000"]
)",
               opts);
  const pid_t job = d.wait_running("once");
  REQUIRE(job > 0);
  const fs::path other_run = d.dir() / "run2";
  fs::create_directory(other_run);
  fs::permissions(other_run, fs::perms::owner_all, fs::perm_options::replace);
  const auto shell = with_runtime_dir(d, other_run);

  const auto second = run_process({SUPD_BIN, "--config", d.config_path().string()}, shell, 30s);
  INFO("second supd: exit " << second.exit_code << "\nerr: " << second.err);
  CHECK(second.exit_code == 1);
  CHECK(is_one_line(second.err));
  CHECK(contains(second.err, "pid " + std::to_string(d.pid())));
  CHECK(contains(second.err, d.socket().string()));
  CHECK_FALSE(fs::exists(other_run / "supd" / "supd.sock"));
  CHECK(split_lines(read_file(d.dir() / "starts")).size() == 1);
  CHECK(d.tagged() == std::vector<pid_t>{job});

  const auto found = run_process({SUPCTL_BIN, "status"}, shell, 30s);
  INFO("supctl status there: exit " << found.exit_code << "\nout: " << found.out << "\nerr: " << found.err);
  CHECK(found.exit_code == kOk);
  CHECK(table_row(found.out, "once").size() > 1);
  CHECK(is_one_line(found.err));
  CHECK(contains(found.err, d.socket().string()));  // which one answered

  // doctor in that shell finds it too, and says why this shell missed it.
  const auto doctor = run_process({SUPCTL_BIN, "doctor"}, shell, 30s);
  INFO("doctor there: exit " << doctor.exit_code << "\nout: " << doctor.out << "\nerr: " << doctor.err);
  CHECK(contains(doctor.out, "answers on " + d.socket().string()));
  CHECK(contains(doctor.out, "XDG_RUNTIME_DIR"));

  d.finish();
  const auto gone = run_process({SUPCTL_BIN, "status"}, shell, 30s);
  INFO("supctl status with supd gone: exit " << gone.exit_code << "\nerr: " << gone.err);
  CHECK(gone.exit_code == kUnreachable);
  CHECK(is_one_line(gone.err));
  CHECK(contains(gone.err, (other_run / "supd" / "supd.sock").string()));
  CHECK(contains(gone.err, d.socket().string()));  // every place it looked is named
}
