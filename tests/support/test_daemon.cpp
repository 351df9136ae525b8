#include "tests/support/test_daemon.hpp"

#include <atomic>
#include <cstdlib>
#include <csignal>
#include <exception>
#include <random>
#include <set>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/procfs.hpp"

namespace supd::test {
namespace {

std::string make_tag() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  char buf[64];
  std::snprintf(buf, sizeof buf, "t%d-%d-%08x", static_cast<int>(::getpid()), counter++, rd());
  return buf;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

bool is_one_line(const std::string& text) {
  return text.size() > 1 && text.back() == '\n' && text.find('\n') == text.size() - 1 &&
         !trim(text).empty();
}

bool is_error_list(const std::string& text) {
  const auto lines = split_lines(text);
  if (lines.size() < 2 || text.back() != '\n' || lines.back().rfind("supctl: ", 0) != 0) return false;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    if (trim(lines[i]).empty() || lines[i].rfind("supctl: ", 0) == 0) return false;
  return true;
}

TestDaemon::TestDaemon(std::string_view toml, DaemonOptions options)
    : dir_("supd-"), tag_(make_tag()), options_(std::move(options)) {
  for (const char* sub : {"run", "config", "state", "logs", "home"}) fs::create_directory(dir() / sub);
  fs::permissions(dir() / "run", fs::perms::owner_all, fs::perm_options::replace);
  write_file(config_path(), expand(toml));
  env_ = {
      "PATH=" + getenv_or("PATH", "/usr/local/bin:/usr/bin:/bin"),
      "HOME=" + (dir() / "home").string(),
      "XDG_RUNTIME_DIR=" + (dir() / "run").string(),
      "XDG_CONFIG_HOME=" + (dir() / "config").string(),
      "XDG_STATE_HOME=" + (dir() / "state").string(),
      "LC_ALL=C",
      "SUPD_TEST_TAG=" + tag_,
  };
  for (const char* pass : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})  // for sanitizer builds
    if (const char* v = std::getenv(pass)) env_.push_back(std::string(pass) + "=" + v);
  if (options_.start) {
    try {
      start();
    } catch (...) {
      kill_everything();  // the destructor does not run when the constructor throws
      throw;
    }
  }
}

TestDaemon::~TestDaemon() {
  if (std::uncaught_exceptions() > 0) {
    kill_everything();  // a failed REQUIRE: no polite shutdown that could hang
  } else {
    cleanup();
  }
}

fs::path TestDaemon::socket() const {
  return options_.pass_socket ? dir() / "run" / "supd.sock" : dir() / "run" / "supd" / "supd.sock";
}

fs::path TestDaemon::log_dir() const {
  return options_.pass_log_dir ? dir() / "logs" : dir() / "state" / "supd" / "logs";
}

std::string TestDaemon::expand(std::string_view text) const {
  std::string s(text);
  s = replace_all(std::move(s), "@DIR@", dir().string());
  s = replace_all(std::move(s), "@HELPERS@", HELPERS_DIR);
  s = replace_all(std::move(s), "@AMSA@", AMSA_BIN);
  s = replace_all(std::move(s), "@LOGS@", log_dir().string());
  s = replace_all(std::move(s), "@HOME@", (dir() / "home").string());
  return s;
}

std::vector<std::string> TestDaemon::supd_flags() const {
  std::vector<std::string> flags{"--config", config_path().string()};
  if (options_.pass_socket) flags.insert(flags.end(), {"--socket", socket().string()});
  if (options_.pass_log_dir) flags.insert(flags.end(), {"--log-dir", log_dir().string()});
  return flags;
}

pid_t TestDaemon::spawn_supd(const std::vector<std::string>& extra_args) {
  SpawnOptions so;
  so.env = env_;
  so.stdout_file = (dir() / "supd.output").string();
  so.umask = options_.umask;
  so.keep_fds = options_.keep_fds;
  so.cwd = dir().string();
  const std::string binary = options_.binary.empty() ? std::string(SUPD_BIN) : options_.binary;
  pid_ = spawn_process(concat(concat(concat(options_.wrapper, {binary}), supd_flags()), concat(options_.extra_args, extra_args)), so);
  last_exit_status_.reset();
  return pid_;
}

bool TestDaemon::wait_ready(Millis deadline) {
  return eventually(
      [&] {
        if (pid_ <= 0) return true;  // gave up: supd is gone
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) == pid_) {
          last_exit_status_ = st;
          pid_ = 0;
          return true;
        }
        return ctl({"status"}, 5s).exit_code == kOk;
      },
      deadline) &&
         pid_ > 0;
}

void TestDaemon::start() {
  spawn_supd();
  const bool ready = wait_ready();
  // supd in its leaf "supd" of a subtree of its own making: remembered for cleanup().
  for (const auto& line : split_lines(read_file("/proc/" + std::to_string(pid_) + "/cgroup"))) {
    const fs::path path = line.rfind("0::", 0) == 0 ? fs::path(line.substr(3)) : fs::path();
    if (path.filename() != "supd" || !path.parent_path().filename().string().starts_with("supd-")) continue;
    for (const char* mount : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"})
      if (fs::exists(fs::path(mount) / "cgroup.controllers")) {
        cgroup_subtree_ = fs::path(mount) / path.parent_path().relative_path();
        break;
      }
  }
  INFO("supd output:\n" << supd_output());
  INFO("supd exit status: " << (last_exit_status_ ? std::to_string(exit_code_of(*last_exit_status_)) : "none"));
  REQUIRE(ready);
}

RunResult TestDaemon::run_supd(const std::vector<std::string>& args, Millis timeout) const {
  return run_process(concat({SUPD_BIN}, args), env_, timeout);
}

bool TestDaemon::running() const { return pid_ > 0 && process_alive(pid_); }

void TestDaemon::kill_daemon(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

std::optional<int> TestDaemon::wait_daemon_exit(Millis deadline) {
  if (pid_ <= 0) return last_exit_status_;
  auto st = wait_exit(pid_, deadline);
  if (st) {
    last_exit_status_ = st;
    pid_ = 0;
  }
  return st;
}

CtlResult TestDaemon::ctl(const std::vector<std::string>& args, Millis timeout) const {
  std::vector<std::string> argv = concat(options_.ctl_wrapper, {SUPCTL_BIN});
  if (options_.pass_socket) argv.insert(argv.end(), {"--socket", socket().string()});
  return run_process(concat(std::move(argv), args), env_, timeout);
}

CtlResult TestDaemon::ctl_bare(const std::vector<std::string>& args, Millis timeout) const {
  return run_process(concat(concat(options_.ctl_wrapper, {SUPCTL_BIN}), args), env_, timeout);
}

std::optional<json> TestDaemon::status_json(const std::vector<std::string>& jobs) {
  const auto r = ctl(concat({"--json", "status"}, jobs), 30s);
  if (r.exit_code != kOk) return std::nullopt;
  auto j = json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("jobs") || !j["jobs"].is_array()) return std::nullopt;
  remember_pids(j);
  return j;
}

void TestDaemon::remember_pids(const json& status) {
  for (const auto& row : status["jobs"]) {
    if (!row.is_object() || !row.contains("pid") || !row["pid"].is_number_integer()) continue;
    const auto p = row["pid"].get<pid_t>();
    if (p > 0 && !seen_job_pids_.count(p))
      if (auto s = proc_stat(p)) seen_job_pids_[p] = s->starttime;
  }
}

std::optional<json> TestDaemon::job(std::string_view name) {
  auto st = status_json();
  if (!st) return std::nullopt;
  for (const auto& row : (*st)["jobs"])
    if (row.is_object() && row.value("name", "") == name) return row;
  return std::nullopt;
}

std::string TestDaemon::state(std::string_view name) {
  auto row = job(name);
  if (!row || !(*row)["state"].is_string()) return {};
  return (*row)["state"].get<std::string>();
}

pid_t TestDaemon::job_pid(std::string_view name) {
  auto row = job(name);
  if (!row || !row->contains("pid") || !(*row)["pid"].is_number_integer()) return 0;
  return (*row)["pid"].get<pid_t>();
}

bool TestDaemon::wait_state(std::string_view name, std::string_view wanted, Millis deadline) {
  return eventually([&] { return state(name) == wanted; }, deadline);
}

pid_t TestDaemon::wait_running(std::string_view name, Millis deadline) {
  pid_t pid = 0;
  eventually(
      [&] {
        auto row = job(name);
        if (!row || row->value("state", "") != "running" || !(*row)["pid"].is_number_integer()) return false;
        pid = (*row)["pid"].get<pid_t>();
        return pid > 0;
      },
      deadline);
  return pid;
}

pid_t TestDaemon::wait_new_pid(std::string_view name, pid_t old_pid, Millis deadline) {
  pid_t pid = 0;
  eventually(
      [&] {
        auto row = job(name);
        if (!row || row->value("state", "") != "running" || !(*row)["pid"].is_number_integer()) return false;
        pid = (*row)["pid"].get<pid_t>();
        return pid > 0 && pid != old_pid;
      },
      deadline);
  return pid;
}

std::vector<pid_t> TestDaemon::tagged() const {
  std::vector<pid_t> out;
  for (pid_t p : tagged_pids(tag_))
    if (p != pid_ && !is_fd_holder(p) && !is_http_probe(p)) out.push_back(p);
  return out;
}

std::size_t TestDaemon::supd_fd_count() const { return pid_ > 0 ? fd_count(pid_) : 0; }

void TestDaemon::record_fd_baseline() {
  if (pid_ <= 0) return;
  // supd closes a finished supctl's connection when it reads the EOF: let that happen.
  eventually([&] { return fd_census(pid_).connections == 0; }, 2s);
  fd_baseline_ = fd_census(pid_);
}

void TestDaemon::check_invariants() {
  // 1. The daemon answers, and it is the supd this test started.
  CHECK(eventually([&] { return ctl({"status"}, 5s).exit_code == kOk; }, 5s));
  CHECK(running());

  // 2. Tagged processes are exactly the sessions of jobs that have a process. A job that restarts
  // on its own between the status and the scan looks like a stray once: read both again, and only
  // what stays unaccounted for fails.
  std::optional<nlohmann::json> st;
  std::set<pid_t> job_pids;
  std::vector<pid_t> strays;
  eventually(
      [&] {
        st = status_json();
        if (!st) return false;
        job_pids.clear();
        for (const auto& row : (*st)["jobs"])
          if (row.contains("pid") && row["pid"].is_number_integer()) job_pids.insert(row["pid"].get<pid_t>());
        strays.clear();
        for (pid_t p : tagged()) {
          const auto s = proc_stat(p);
          if (s && !job_pids.count(s->sid) && !job_pids.count(s->pgid) && !job_pids.count(p)) strays.push_back(p);
        }
        return strays.empty();
      },
      3s);
  REQUIRE(st);
  INFO("status: " << st->dump());
  INFO("processes no job accounts for:\n" << describe_processes(strays));
  CHECK(strays.empty());
  for (pid_t p : job_pids) {
    INFO("job pid " << p);
    CHECK(process_alive(p));
  }

  // 3. No zombie children of supd linger.
  if (pid_ > 0) {
    const pid_t supd = pid_;
    const bool no_zombies = eventually(
        [&] {
          for (pid_t c : children_of(supd))
            if (auto s = proc_stat(c); s && s->state == 'Z') return false;
          return true;
        },
        3s);
    INFO("children of supd:\n" << describe_processes(children_of(supd)));
    CHECK(no_zombies);
  }

  // 4. No leaked fds: client connections do not outlive their clients.
  if (fd_baseline_ && pid_ > 0) {
    const bool back = eventually([&] { return fd_census(pid_) == *fd_baseline_; }, 3s);
    const auto now = fd_census(pid_);
    std::string listing;
    for (const auto& [fd, target] : list_fds(pid_)) listing += std::to_string(fd) + " -> " + target + "\n";
    INFO("baseline: " << fd_baseline_->connections << " connections, " << fd_baseline_->others
                      << " other fds; now " << now.connections << " and " << now.others << ":\n"
                      << listing);
    CHECK(back);
  }

  // 7. Modes: the socket's directory 0700 (when it is ours), the socket 0600.
  struct stat sock {};
  if (::stat(socket().c_str(), &sock) == 0) {
    CHECK((sock.st_mode & 0777) == 0600);
  }
  struct stat rundir {};
  if (::stat(socket().parent_path().c_str(), &rundir) == 0) {
    CHECK((rundir.st_mode & 07777) == 0700);
  }
}

void TestDaemon::shutdown_and_check() {
  check_invariants();
  const auto r = ctl({"shutdown"}, 60s);
  INFO("supctl shutdown: exit " << r.exit_code << " out: " << r.out << " err: " << r.err);
  CHECK(r.exit_code == kOk);
  const auto st = wait_daemon_exit(10s);
  INFO("supd output:\n" << supd_output());
  REQUIRE(st);
  CHECK(WIFEXITED(*st));
  CHECK(exit_code_of(*st) == 0);
  CHECK_FALSE(fs::exists(socket()));
  const auto left = tagged_pids(tag_);  // the fd holder included: it exits before supd does
  INFO("left behind:\n" << describe_processes(left));
  CHECK(left.empty());
  const auto after = ctl({"status"}, 30s);
  CHECK(after.exit_code == kUnreachable);
  CHECK(is_one_line(after.err));

  // 6. supd's own output shows no crash.
  const std::string out = supd_output();
  for (const char* bad : {"Sanitizer", "runtime error:", "Assertion", "terminate called", "Segmentation"}) {
    INFO("supd output holds '" << bad << "'");
    CHECK_FALSE(contains(out, bad));
  }
}

void TestDaemon::kill_everything() noexcept {
  try {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait_exit(pid_, 10s);
      pid_ = 0;
    }
    for (int round = 0; round < 100; ++round) {
      std::vector<pid_t> victims = tagged_pids(tag_);
      for (const auto& [p, start] : seen_job_pids_)  // in case a job lost the tag
        if (process_alive(p, start))
          for (pid_t m : session_members(p)) victims.push_back(m);
      if (victims.empty()) break;
      for (pid_t v : victims) ::kill(v, SIGKILL);
      std::this_thread::sleep_for(20ms);
    }
  } catch (...) {
  }
}

void TestDaemon::cleanup() noexcept {
  try {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);  // in case a test left it stopped
      ctl({"shutdown"}, 20s);
      if (!wait_daemon_exit(5s)) {
        ::kill(pid_, SIGTERM);
        wait_daemon_exit(15s);
      }
    }
  } catch (...) {
  }
  kill_everything();
  if (cgroup_subtree_) {  // empty by now: its cgroups go, the subtree's own last
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(*cgroup_subtree_, ec))
      if (entry.is_directory(ec)) fs::remove(entry.path(), ec);
    fs::remove(*cgroup_subtree_, ec);
  }
}

}  // namespace supd::test
