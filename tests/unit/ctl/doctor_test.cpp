// supctl doctor's judgement, from fixed facts: each check's ok / warn / fail and its fix,
// the cgroup and python-buffering detection, the line and --json output.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "ctl/cli.hpp"
#include "ctl/doctor.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::ctl;
using State = SocketFacts::State;

namespace {

using supd::test_unit::has;

SocketFacts answering() {
  SocketFacts s;
  s.path = "/run/user/1000/supd/supd.sock";
  s.state = State::Answers;
  s.version = "0.1.0";
  return s;
}

SupdFacts supd_with(std::string cgroup) { return SupdFacts{4242, std::move(cgroup)}; }

DoctorFacts healthy() {
  DoctorFacts f;
  f.socket = answering();
  f.supd = supd_with("0::/user.slice/user-1000.slice/user@1000.service/app.slice/supd.service/supd\n");
  f.cgroups = {true, "/user.slice/user-1000.slice/user@1000.service/app.slice/supd.service/supd", "/sys/fs/cgroup",
               {"cpu", "memory", "pids"}};
  f.linger = {"alice", true};
  f.log_dir = {"/home/alice/.local/state/supd/logs", true, true, true, 100'000ULL * 1024 * 1024,
               50'000ULL * 1024 * 1024};
  f.config.path = "/home/alice/.config/supd/supd.toml";
  f.config.file = FileFacts{S_IFREG | 0644, 1000};
  f.config.dir = FileFacts{S_IFDIR | 0755, 1000};
  f.config.my_uid = 1000;
  f.jobs = {{"amsa", 77, std::vector<std::string>{"python3", "-u", "amsa.py"}, std::vector<std::string>{"HOME=/h"}}};
  return f;
}

}  // namespace

TEST_CASE("doctor: a healthy setup is all ok", "[ctl][doctor]") {
  const auto checks = evaluate(healthy());
  REQUIRE(checks.size() == 7);
  const std::vector<std::string> names{"socket", "systemd", "linger", "log-dir", "config", "cgroups", "buffering"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    INFO(checks[i].message);
    CHECK(checks[i].name == names[i]);
    CHECK(checks[i].status == CheckStatus::Ok);
  }
  CHECK(passed(checks));
  CHECK(passed(checks, true));
  CHECK(has(checks[0].message, "/run/user/1000/supd/supd.sock"));
  CHECK(has(checks[0].message, "pid 4242"));
  CHECK(has(checks[1].message, "supd.service"));
}

TEST_CASE("doctor: socket missing, stale, not a socket, unreachable, silent", "[ctl][doctor]") {
  SocketFacts s = answering();
  const SupdFacts none;

  s.state = State::Missing;
  auto c = check_socket(s, none);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(has(c.message, "supd is not running"));
  CHECK(has(c.message, "supd --detach"));
  CHECK(has(c.message, "systemctl --user start supd"));

  s.start_hint = "supd --detach --socket /tmp/x.sock";
  c = check_socket(s, none);
  CHECK(has(c.message, "supd --detach --socket /tmp/x.sock"));

  s.state = State::Stale;
  c = check_socket(s, none);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(has(c.message, "stale socket"));
  CHECK(has(c.message, "starting supd replaces it"));

  s.state = State::NotSocket;
  CHECK(check_socket(s, none).status == CheckStatus::Fail);
  CHECK(has(check_socket(s, none).message, "not a socket"));

  s.state = State::Unreachable;
  s.error = "Permission denied";
  CHECK(check_socket(s, none).status == CheckStatus::Fail);
  CHECK(has(check_socket(s, none).message, "Permission denied"));

  s.state = State::NoAnswer;
  s.error = "supd at X did not answer\nwithin 10s";
  c = check_socket(s, none);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(c.message.find('\n') == std::string::npos);  // one line, whatever the error says

  s.state = State::Answers;
  c = check_socket(s, none);
  CHECK(c.status == CheckStatus::Ok);
  CHECK(!has(c.message, "pid"));
}

TEST_CASE("doctor: a socket another user could have put there fails the socket check (R86)", "[ctl][doctor][R86]") {
  using supd::common::Distrust;
  SocketFacts s = answering();
  s.path = "/tmp/supd-1000/supd.sock";
  s.state = State::Untrusted;
  s.distrust = Distrust{Distrust::Reason::ForeignOwner, "/tmp/supd-1000", 1001, 0};
  auto c = check_socket(s, {});
  CHECK(c.status == CheckStatus::Fail);
  CHECK(has(c.message, "refuses to talk to /tmp/supd-1000/supd.sock"));
  CHECK(has(c.message, "/tmp/supd-1000 is owned by "));
  CHECK(has(c.message, "uid 1001"));
  CHECK(c.message.find('\n') == std::string::npos);

  s.distrust = Distrust{Distrust::Reason::ForeignServer, s.path, 1001, 0};
  c = check_socket(s, {});
  CHECK(c.status == CheckStatus::Fail);
  CHECK(has(c.message, "the server listening on /tmp/supd-1000/supd.sock runs as "));

  // Nothing else is asked of a socket that is not trusted: systemd and buffering are not checked.
  auto f = healthy();
  f.socket = s;
  f.supd = {};
  f.jobs.clear();
  const auto checks = evaluate(f);
  CHECK_FALSE(passed(checks));
  CHECK(checks[1].status == CheckStatus::Warn);
}

TEST_CASE("doctor: no daemon still gives one line per check, and not ok", "[ctl][doctor]") {
  auto f = healthy();
  f.socket.state = State::Missing;
  f.supd = {};
  f.jobs.clear();
  f.cgroups = {};
  const auto checks = evaluate(f);
  REQUIRE(checks.size() == 7);
  CHECK(checks[0].status == CheckStatus::Fail);
  CHECK(checks[1].status == CheckStatus::Warn);  // systemd: not checked
  CHECK(checks[5].status == CheckStatus::NotApplicable);  // cgroups: no supd to ask
  CHECK(checks[6].status == CheckStatus::Warn);  // buffering: not checked
  CHECK(has(checks[6].message, "not checked"));
  CHECK(!passed(checks));
  const auto text = render_checks(checks);
  CHECK(std::count(text.begin(), text.end(), '\n') == 7);
}

TEST_CASE("doctor: each job in its own cgroup, and what is missing for its limits", "[ctl][doctor]") {
  const auto answers = answering();
  CgroupFacts f{true, "/supd-1a2b/supd", "/sys/fs/cgroup/unified", {}};
  auto c = check_cgroups(answers, f);
  INFO(c.message);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(has(c.message, "each job runs in its own cgroup below /supd-1a2b"));
  CHECK(has(c.message, "the cpu, memory, pids controllers are not delegated there"));
  CHECK(has(c.message, "cpu_max, memory_max and memory_high, pids_max are not applied"));
  f.controllers = {"cpu", "memory", "pids"};
  CHECK(check_cgroups(answers, f).status == CheckStatus::Ok);
  f.path = "/user.slice/user-0.slice/session-3.scope";
  c = check_cgroups(answers, f);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(has(c.message, "where it may not make one per job"));
  CHECK(has(c.message, "Delegate=yes"));
  f.path.reset();
  CHECK(has(check_cgroups(answers, f).message, "no cgroup v2 hierarchy here"));
}

TEST_CASE("doctor: cgroup facts from a made-up hierarchy", "[ctl][doctor]") {
  char tmpl[] = "/tmp/supd-doctor-cg-XXXXXX";
  const std::filesystem::path root = ::mkdtemp(tmpl);
  std::filesystem::create_directories(root / "sys/fs/cgroup/unified/supd-k/supd");
  std::ofstream(root / "sys/fs/cgroup/unified/cgroup.controllers") << "hugetlb\n";
  std::ofstream(root / "sys/fs/cgroup/unified/supd-k/cgroup.subtree_control") << "pids\n";
  const auto f = gather_cgroup_facts(root, std::string("4:memory:/x\n0::/supd-k/supd\n"));
  CHECK(f.known);
  CHECK(f.path == std::optional<std::string>("/supd-k/supd"));
  CHECK(f.mount == root / "sys/fs/cgroup/unified");
  CHECK(f.controllers == std::vector<std::string>{"pids"});
  CHECK_FALSE(gather_cgroup_facts(root, std::nullopt).known);
  std::filesystem::remove_all(root);
}

TEST_CASE("doctor: the systemd unit from /proc/PID/cgroup", "[ctl][doctor]") {
  CHECK(systemd_unit_of("0::/user.slice/user-1000.slice/user@1000.service/app.slice/supd.service\n") ==
        "supd.service");
  CHECK(systemd_unit_of("0::/system.slice/supd.service\n") == "supd.service");
  CHECK(systemd_unit_of("0::/user.slice/user-1000.slice/user@1000.service/app.slice/my-jobs.service\n") ==
        "my-jobs.service");
  CHECK(systemd_unit_of("0::/system.slice/supd@alice.service") == "supd@alice.service");
  // cgroup v1: the name=systemd line carries the path
  CHECK(systemd_unit_of("12:pids:/\n1:name=systemd:/user.slice/user-1000.slice/user@1000.service/supd.service\n") ==
        "supd.service");
  // a terminal or ssh session, a container root, the user manager itself: not a service
  CHECK_FALSE(systemd_unit_of("0::/user.slice/user-1000.slice/session-3.scope\n"));
  CHECK_FALSE(systemd_unit_of("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
                              "app-org.gnome.Terminal.slice/vte-spawn-1.scope\n"));
  CHECK_FALSE(systemd_unit_of("0::/\n"));
  CHECK_FALSE(systemd_unit_of("0::/user.slice/user-1000.slice/user@1000.service/init.scope\n"));
  CHECK_FALSE(systemd_unit_of("0::/system.slice/sshd.service\n"));  // someone else's service
  CHECK_FALSE(systemd_unit_of(""));
  CHECK_FALSE(systemd_unit_of("garbage"));
}

TEST_CASE("doctor: supd outside systemd is a warning with the fix", "[ctl][doctor]") {
  auto c = check_systemd(answering(), supd_with("0::/user.slice/user-1000.slice/session-2.scope\n"));
  CHECK(c.status == CheckStatus::Warn);
  CHECK(has(c.message, "not supervised by systemd"));
  CHECK(has(c.message, "README"));

  c = check_systemd(answering(), SupdFacts{4242, std::nullopt});  // cgroup unreadable
  CHECK(c.status == CheckStatus::Warn);
  CHECK(has(c.message, "not checked"));
}

TEST_CASE("doctor: linger", "[ctl][doctor]") {
  CHECK(check_linger({"alice", true}).status == CheckStatus::Ok);
  const auto c = check_linger({"alice", false});
  CHECK(c.status == CheckStatus::Warn);
  CHECK(has(c.message, "die at logout"));
  CHECK(has(c.message, "loginctl enable-linger alice"));
  CHECK(check_linger({"", false}).status == CheckStatus::Warn);
}

TEST_CASE("doctor: without systemd linger and systemd are n/a with how to start supd at boot", "[ctl][doctor]") {
  const SystemdFacts no_systemd{.booted = false, .user_manager = false};
  for (const bool lingering : {false, true}) {
    const auto c = check_linger({"alice", lingering}, no_systemd);
    INFO(c.message);
    CHECK(c.status == CheckStatus::NotApplicable);
    CHECK(!has(c.message, "loginctl"));  // it fails where systemd does not run
    CHECK(!has(c.message, "die at logout"));
    CHECK(has(c.message, "@reboot supd --detach"));
  }
  auto c = check_systemd(answering(), supd_with("0::/\n"), no_systemd);
  CHECK(c.status == CheckStatus::NotApplicable);
  CHECK(has(c.message, "@reboot supd --detach"));
  CHECK(check_status_name(c.status) == "n/a");
  c = check_systemd(SocketFacts{}, SupdFacts{}, no_systemd);  // not answering: still n/a
  CHECK(c.status == CheckStatus::NotApplicable);
  c = check_socket(SocketFacts{}, SupdFacts{}, no_systemd);  // missing: the start hint has no systemctl
  CHECK(c.status == CheckStatus::Fail);
  CHECK(has(c.message, "start it with: supd --detach"));
  CHECK(!has(c.message, "systemctl"));
  CHECK(has(check_socket(SocketFacts{}, SupdFacts{}).message, "systemctl --user start supd"));
}

TEST_CASE("doctor: systemd without a user manager for this user makes linger n/a", "[ctl][doctor]") {
  const SystemdFacts no_manager{.booted = true, .user_manager = false};
  const auto c = check_linger({"alice", false}, no_manager);
  INFO(c.message);
  CHECK(c.status == CheckStatus::NotApplicable);
  CHECK(has(c.message, "no systemd user manager runs for alice"));
  CHECK(has(c.message, "@reboot supd --detach"));
  CHECK(check_linger({"alice", true}, no_manager).status == CheckStatus::Ok);
  // With a user manager, the warning and its fix stand.
  CHECK(check_linger({"alice", false}, SystemdFacts{}).status == CheckStatus::Warn);
}

TEST_CASE("doctor: exit 1 only on a failed check unless --strict", "[ctl][doctor]") {
  const std::vector<Check> warned{{"socket", CheckStatus::Ok, "a"}, {"linger", CheckStatus::Warn, "b"},
                                  {"systemd", CheckStatus::NotApplicable, "c"}};
  CHECK(passed(warned));
  CHECK_FALSE(passed(warned, true));
  CHECK(nlohmann::json::parse(render_checks_json(warned))["ok"] == true);
  CHECK(nlohmann::json::parse(render_checks_json(warned, true))["ok"] == false);
  const std::vector<Check> not_applicable{{"socket", CheckStatus::Ok, "a"}, {"linger", CheckStatus::NotApplicable, "c"}};
  CHECK(passed(not_applicable, true));
  CHECK(render_checks(not_applicable) == "ok    socket      a\nn/a   linger      c\n");
  const std::vector<Check> failed{{"socket", CheckStatus::Fail, "a"}};
  CHECK_FALSE(passed(failed));

  const std::vector<std::string> args{"doctor", "--strict"};
  CHECK(parse_cli(args).flags.strict);
  const std::vector<std::string> plain{"doctor"};
  CHECK_FALSE(parse_cli(plain).flags.strict);
}

TEST_CASE("doctor: systemd facts from the files under a root", "[ctl][doctor]") {
  const auto root = std::filesystem::temp_directory_path() / ("supd-doctor-root-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  const auto no_env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto f = gather_systemd_facts(root, 1000, no_env);
  CHECK_FALSE(f.booted);
  CHECK_FALSE(f.user_manager);

  std::filesystem::create_directories(root / "run/systemd/system");
  f = gather_systemd_facts(root, 1000, no_env);
  CHECK(f.booted);
  CHECK_FALSE(f.user_manager);

  std::filesystem::create_directories(root / "run/user/1000/systemd");
  CHECK(gather_systemd_facts(root, 1000, no_env).user_manager);
  CHECK_FALSE(gather_systemd_facts(root, 1001, no_env).user_manager);
  const auto xdg = [](std::string_view name) -> std::optional<std::string> {
    if (name == "XDG_RUNTIME_DIR") return "/run/user/1000";
    return std::nullopt;
  };
  CHECK(gather_systemd_facts(root, 1001, xdg).user_manager);  // the runtime dir the session gave
  std::filesystem::remove_all(root);
}

TEST_CASE("doctor: log dir missing, not a dir, not writable, nearly full", "[ctl][doctor]") {
  const std::uint64_t gib = 1024ULL * 1024 * 1024;
  LogDirFacts d{"/l", true, true, true, 100 * gib, 50 * gib};
  CHECK(check_log_dir(d).status == CheckStatus::Ok);

  auto missing = d;
  missing.exists = false;
  CHECK(check_log_dir(missing).status == CheckStatus::Warn);
  CHECK(has(check_log_dir(missing).message, "supd creates it"));

  auto file = d;
  file.is_dir = false;
  CHECK(check_log_dir(file).status == CheckStatus::Fail);

  auto ro = d;
  ro.writable = false;
  CHECK(check_log_dir(ro).status == CheckStatus::Fail);
  CHECK(has(check_log_dir(ro).message, "not writable"));

  auto few_percent = d;  // 4% of 100 GiB: plenty of bytes, but under 5%
  few_percent.free_bytes = 4 * gib;
  CHECK(check_log_dir(few_percent).status == CheckStatus::Warn);
  CHECK(has(check_log_dir(few_percent).message, "nearly full"));

  auto few_bytes = d;  // 50% of a small disk, but under 100 MiB
  few_bytes.total_bytes = 160ULL * 1024 * 1024;
  few_bytes.free_bytes = 80ULL * 1024 * 1024;
  CHECK(check_log_dir(few_bytes).status == CheckStatus::Warn);

  auto edge = d;  // exactly 100 MiB and 5%: fine
  edge.total_bytes = 2000ULL * 1024 * 1024;
  edge.free_bytes = 100ULL * 1024 * 1024;
  CHECK(check_log_dir(edge).status == CheckStatus::Ok);

  auto unknown = d;  // statvfs failed: writable is all we know
  unknown.total_bytes.reset();
  unknown.free_bytes.reset();
  CHECK(check_log_dir(unknown).status == CheckStatus::Ok);
}

TEST_CASE("doctor: config modes and owners", "[ctl][doctor]") {
  ConfigFacts c = healthy().config;
  CHECK(check_config(c).status == CheckStatus::Ok);

  auto missing = c;
  missing.file.reset();
  CHECK(check_config(missing).status == CheckStatus::Warn);
  CHECK(has(check_config(missing).message, "supd runs with no jobs"));

  for (const mode_t bad : {mode_t{0664}, mode_t{0646}, mode_t{0666}}) {
    auto w = c;
    w.file->mode = S_IFREG | bad;
    INFO(std::oct << bad);
    CHECK(check_config(w).status == CheckStatus::Fail);
    CHECK(has(check_config(w).message, "writable by others"));
    CHECK(has(check_config(w).message, "chmod go-w /home/alice/.config/supd/supd.toml"));
  }

  auto other_owner = c;
  other_owner.file->uid = 1001;
  CHECK(check_config(other_owner).status == CheckStatus::Fail);
  auto root_owner = c;
  root_owner.file->uid = 0;
  CHECK(check_config(root_owner).status == CheckStatus::Ok);

  auto open_dir = c;
  open_dir.dir->mode = S_IFDIR | 0777;
  CHECK(check_config(open_dir).status == CheckStatus::Fail);
  CHECK(has(check_config(open_dir).message, "chmod go-w /home/alice/.config/supd"));
  auto sticky_dir = c;  // like /tmp: others cannot replace my file
  sticky_dir.dir->mode = S_IFDIR | S_ISVTX | 0777;
  CHECK(check_config(sticky_dir).status == CheckStatus::Ok);
  auto foreign_dir = c;
  foreign_dir.dir->uid = 1001;
  CHECK(check_config(foreign_dir).status == CheckStatus::Fail);
}

TEST_CASE("doctor: which python jobs look output-buffered", "[ctl][doctor]") {
  using V = std::vector<std::string>;
  const V env{"HOME=/h"};
  CHECK(looks_output_buffered({"python3", "amsa.py"}, env));
  CHECK(looks_output_buffered({"/usr/bin/python3.11", "amsa.py", "-u"}, env));  // -u of the script
  CHECK(looks_output_buffered({"python", "-c", "print(1)"}, env));
  CHECK(looks_output_buffered({"python3", "-m", "http.server", "-u"}, env));
  CHECK(looks_output_buffered({"python3", "-X", "u", "x.py"}, env));  // -X's argument, not -u
  CHECK(looks_output_buffered({"python3", "-Wu", "x.py"}, env));
  CHECK(looks_output_buffered({"python3", "x.py"}, V{"PYTHONUNBUFFERED="}));  // empty = unset

  CHECK_FALSE(looks_output_buffered({"python3", "-u", "amsa.py"}, env));
  CHECK_FALSE(looks_output_buffered({"/usr/bin/python3", "-Bu", "amsa.py"}, env));
  CHECK_FALSE(looks_output_buffered({"python3", "-X", "dev", "-u", "x.py"}, env));
  CHECK_FALSE(looks_output_buffered({"python3", "amsa.py"}, V{"A=b", "PYTHONUNBUFFERED=1"}));
  CHECK_FALSE(looks_output_buffered({"sleep", "100"}, env));
  CHECK_FALSE(looks_output_buffered({"/bin/sh", "-c", "python3 x.py"}, env));
  CHECK_FALSE(looks_output_buffered({}, env));
}

TEST_CASE("doctor: one buffering warning per job, unreadable ones skipped", "[ctl][doctor]") {
  using V = std::vector<std::string>;
  std::vector<JobProcessFacts> jobs{
      {"a", 10, V{"python3", "a.py"}, V{}},
      {"b", 11, V{"python3", "-u", "b.py"}, V{}},
      {"c", 12, V{"python3", "c.py"}, std::nullopt},  // environ unreadable
      {"d", 13, std::nullopt, V{}},                   // gone
      {"e", 14, V{"python3", "e.py"}, V{}},
  };
  auto checks = check_buffering(answering(), jobs);
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].status == CheckStatus::Warn);
  CHECK(checks[0].name == "buffering");
  CHECK(checks[0].message ==
        "job a runs python without -u: its output reaches the log late; add -u or PYTHONUNBUFFERED=1");
  CHECK(has(checks[1].message, "job e "));

  checks = check_buffering(answering(), {jobs[1], jobs[2]});
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].status == CheckStatus::Ok);
  CHECK(has(checks[0].message, "1 running job checked"));
}

TEST_CASE("doctor: output lines and --json", "[ctl][doctor]") {
  const std::vector<Check> checks{
      {"socket", CheckStatus::Ok, "supd answers on /run/user/1000/supd/supd.sock (pid 4242)"},
      {"linger", CheckStatus::Warn, "not lingering"},
      {"config", CheckStatus::Fail, "writable by \"others\""},
  };
  CHECK(render_checks(checks) ==
        "ok    socket      supd answers on /run/user/1000/supd/supd.sock (pid 4242)\n"
        "warn  linger      not lingering\n"
        "fail  config      writable by \"others\"\n");

  const auto text = render_checks_json(checks);
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  const auto doc = nlohmann::json::parse(text);
  CHECK(doc["ok"] == false);
  REQUIRE(doc["checks"].size() == 3);
  CHECK(doc["checks"][0] == nlohmann::json{{"name", "socket"}, {"status", "ok"},
                                           {"message", "supd answers on /run/user/1000/supd/supd.sock (pid 4242)"}});
  CHECK(doc["checks"][1]["status"] == "warn");
  CHECK(doc["checks"][2]["status"] == "fail");
  CHECK(doc["checks"][2]["message"] == "writable by \"others\"");

  CHECK(nlohmann::json::parse(render_checks_json({checks[0]}))["ok"] == true);
}

TEST_CASE("doctor: the command line", "[ctl][doctor]") {
  const std::vector<std::string> args{"doctor", "--json"};
  const auto p = parse_cli(args);
  REQUIRE(p.sub != nullptr);
  CHECK(p.sub->name == "doctor");
  CHECK(p.options.json);
  const std::vector<std::string> extra{"doctor", "amsa"};
  CHECK_THROWS_AS(parse_cli(extra), UsageError);
}
