// After `su alice` without `-`, XDG_RUNTIME_DIR still names root's directory: supd, supctl
// and doctor, run as alice, name the variable and the fix instead of "Permission denied".
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/support/harness.hpp"
#include "tests/support/temp_user.hpp"

using namespace supd::test;

namespace {

void check_names_the_variable(const RunResult& r, const std::string& dir, const std::string& user) {
  INFO(r.out << r.err);
  CHECK(contains(r.err, "XDG_RUNTIME_DIR=" + dir + " "));
  CHECK(contains(r.err, "su - " + user));
  CHECK(contains(r.err, "unset XDG_RUNTIME_DIR"));
  CHECK(!contains(r.err, "Permission denied"));
  CHECK(!contains(r.err, "run supctl as the user that runs supd"));
  CHECK(count_occurrences(r.err, "\n") == 1);
}

}  // namespace

TEST_CASE("a foreign XDG_RUNTIME_DIR is named with its fix by supd supctl and doctor", "[integration][security]") {
  if (!is_root()) {
    WARN("SKIP: needs root to run as another user");
    return;
  }
  TempUser alice("x");
  TempDir tmp;
  REQUIRE(::chmod(tmp.path().c_str(), 0755) == 0);  // alice may pass through
  const fs::path home = tmp.path() / "home";
  fs::create_directory(home);
  alice.owns(home);
  const fs::path roots = tmp.path() / "root-run";  // root's runtime dir, as su leaves it
  fs::create_directory(roots);
  REQUIRE(::chmod(roots.c_str(), 0700) == 0);
  const fs::path missing = tmp.path() / "run-user-0";  // one that does not exist, in a dir alice may not write

  const std::vector<std::string> as_alice{"/usr/bin/setpriv", "--reuid=" + std::to_string(alice.uid()),
                                          "--regid=" + std::to_string(alice.gid()), "--clear-groups", "--"};
  const auto with = [&](std::vector<std::string> args) {
    auto argv = as_alice;
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  for (const fs::path& dir : {roots, missing}) {
    INFO(dir);
    const std::vector<std::string> env{"PATH=/usr/bin:/bin", "HOME=" + home.string(), "XDG_RUNTIME_DIR=" + dir.string()};
    const auto supd = run_process(with({SUPD_BIN}), env, 20s);
    CHECK(supd.exit_code == 1);
    check_names_the_variable(supd, dir.string(), alice.name());

    const auto status = run_process(with({SUPCTL_BIN, "--timeout", "5s", "status"}), env);
    CHECK(status.exit_code == 3);
    check_names_the_variable(status, dir.string(), alice.name());

    const auto doctor = run_process(with({SUPCTL_BIN, "--timeout", "5s", "doctor"}), env);
    INFO(doctor.out << doctor.err);
    CHECK(doctor.exit_code == 1);
    CHECK(contains(doctor.out, "fail  socket      XDG_RUNTIME_DIR=" + dir.string() + " "));
    CHECK(contains(doctor.out, "unset XDG_RUNTIME_DIR"));
  }
  CHECK(fs::is_empty(roots));  // nothing was made in root's directory
}
