// daemon/process/cgroup.hpp: cgroupfs's texts parsed, the subtree set up and limits written in a
// directory of plain files, and, where the v2 hierarchy is writable (as root), a real process
// moved into a job's cgroup, seen populated, killed with cgroup.kill, and the cgroup removed.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon/process/cgroup.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::daemon;
namespace fs = std::filesystem;

namespace {

using supd::test_unit::slurp;

using supd::test_unit::TempDir;

template <class F>
bool eventually(F&& done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace

TEST_CASE("cgroup texts and names", "[cgroup]") {
  CHECK(own_cgroup_path("9:name=systemd:/\n0::/user.slice/x.scope\n") == "/user.slice/x.scope");
  CHECK(base_for("/user.slice/x.scope", "k1") == "/user.slice/x.scope/supd-k1");
  CHECK(base_for("/", "k1") == "/supd-k1");
  CHECK(base_for("/u/app.slice/supd.service", "k1") == "/u/app.slice/supd.service");
  CHECK(base_for("/u/app.slice/supd.service/supd", "k1") == "/u/app.slice/supd.service");
  CHECK(base_for("/a/supd-k1/supd", "k1") == "/a/supd-k1");
  CHECK(base_for("/supd-k1/supd", "k1") == "/supd-k1");
  CHECK(cgroup_key("/var/log/x") == cgroup_key("/var/log/x/"));
  CHECK(cgroup_key("/var/log/x") != cgroup_key("/var/log/y"));
  CHECK(cgroup_key("/var/log/x").size() == 12);
  CHECK(job_cgroup_name("web@2") == "web@2.job");
  CHECK(parse_populated("populated 1\nfrozen 0\n"));
  CHECK_FALSE(parse_populated("populated 0\nfrozen 0\n"));
  const auto m = parse_memory_events("low 0\nhigh 4\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n");
  REQUIRE(m);
  CHECK(m->oom_kill == 1);
  CHECK(m->high == 4);
  CHECK_FALSE(parse_memory_events(""));
  CHECK(parse_words("cpu memory  pids\n") == std::vector<std::string>{"cpu", "memory", "pids"});
  CHECK(memory_value(256ull << 20) == "268435456");
  CHECK(memory_value(std::nullopt) == "max");
  CHECK(cpu_max_value(50.0) == "50000 100000");
  CHECK(cpu_max_value(150.0) == "150000 100000");
  CHECK(cpu_max_value(std::nullopt) == "max 100000");
  CHECK(pids_value(100) == "100");
}

TEST_CASE("cgroup subtree and limits in a directory that looks like cgroupfs", "[cgroup]") {
  TempDir root;
  fs::create_directories(root.path / "user.slice/x.scope/supd-k");
  std::ofstream(root.path / "user.slice/x.scope/supd-k/cgroup.controllers") << "cpu memory\n";
  std::ofstream(root.path / "user.slice/x.scope/supd-k/cgroup.subtree_control") << "";
  fs::create_directories(root.path / "user.slice/x.scope/supd-k/supd");
  std::ofstream(root.path / "user.slice/x.scope/supd-k/supd/cgroup.procs") << "";
  std::string why;
  const auto cg = Cgroups::set_up_at(root.path, "/user.slice/x.scope", "k", why);
  REQUIRE(cg);
  CHECK(why.empty());
  CHECK(cg->base() == "/user.slice/x.scope/supd-k");
  CHECK(slurp(root.path / "user.slice/x.scope/supd-k/supd/cgroup.procs") == "0");  // supd moved itself first
  CHECK(slurp(root.path / "user.slice/x.scope/supd-k/cgroup.subtree_control").empty());  // not until a limit needs one

  const fs::path job = root.path / "user.slice/x.scope/supd-k/web@0.job";
  fs::create_directories(job);
  for (const char* f : {"cgroup.procs", "memory.max", "memory.high", "cpu.max"}) std::ofstream(job / f) << "";
  supd::config::CgroupLimits limits;
  limits.memory_max = 256ull << 20;
  limits.cpu_max_percent = 50;
  limits.pids_max = 10;
  std::vector<std::string> missing;
  std::string error;
  const auto procs = cg->prepare("web@0", limits, missing, error);
  CHECK(procs.get() >= 0);
  CHECK(error.empty());
  CHECK(slurp(root.path / "user.slice/x.scope/supd-k/cgroup.subtree_control") == "+cpu");  // the last write
  CHECK(slurp(job / "memory.max") == "268435456");
  CHECK(slurp(job / "memory.high") == "max");
  CHECK(slurp(job / "cpu.max") == "50000 100000");
  CHECK(missing == std::vector<std::string>{"pids_max is not applied: the pids controller is not delegated to supd here"});

  CHECK_FALSE(cg->populated("web@0"));
  std::ofstream(job / "cgroup.events") << "populated 1\nfrozen 0\n";
  CHECK(cg->populated("web@0"));
  CHECK(cg->pids("web@0").empty());
  CHECK(cg->kill_all("web@0") == 0);
  CHECK_FALSE(cg->memory_events("nobody"));
}

TEST_CASE("cgroup set-up says why where nothing is writable", "[cgroup]") {
  std::string why;
  CHECK_FALSE(Cgroups::set_up_at("/nonexistent-cgroup-root", "/", "k", why));
  CHECK(why.find("cannot make cgroup /supd-k") == 0);
  CHECK(why.find("Delegate=yes") != std::string::npos);
}

TEST_CASE("a real process in a job's cgroup: populated, killed by cgroup.kill, removed", "[cgroup][live]") {
  const char* mount = nullptr;
  for (const char* m : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs st {};
    if (::statfs(m, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) mount = m;
  }
  if (mount == nullptr || ::access(mount, W_OK) != 0) {
    WARN("skipped: no writable cgroup v2 hierarchy (run as root)");
    return;
  }
  std::ifstream self("/proc/self/cgroup");
  std::stringstream text;
  text << self.rdbuf();
  const std::string base = own_cgroup_path(text.str()) + (own_cgroup_path(text.str()) == "/" ? "" : "/") +
                           "supd-unit-" + std::to_string(::getpid());
  const fs::path base_dir = fs::path(mount) / fs::path(base).relative_path();
  REQUIRE(::mkdir(base_dir.c_str(), 0755) == 0);
  const Cgroups cg(mount, base, {});
  std::vector<std::string> missing;
  std::string error;
  auto procs = cg.prepare("sleeper", {}, missing, error);
  REQUIRE(procs.get() >= 0);
  const pid_t child = ::fork();
  if (child == 0) {
    if (::write(procs.get(), "0", 1) != 1) ::_exit(3);
    ::setsid();  // out of the parent's group, as an escaping daemon would go: the cgroup still holds it
    ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(4);
  }
  procs.reset();
  CHECK(eventually([&] { return cg.populated("sleeper"); }));
  CHECK(cg.pids("sleeper") == std::vector<pid_t>{child});
  CHECK(cg.kill_all("sleeper") == 1);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(eventually([&] { return !cg.populated("sleeper"); }));
  CHECK(::rmdir(cg.path_of("sleeper").c_str()) == 0);
  CHECK(::rmdir(base_dir.c_str()) == 0);
}
