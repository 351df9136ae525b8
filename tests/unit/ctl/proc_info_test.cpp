// /proc parsing for `supctl inspect`: stat lines (comm with spaces and ')'), status fields,
// signal masks decoded to names (RT signals too), cmdline, and the human and JSON output.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <string>

#include "ctl/inspect.hpp"
#include "ctl/proc_info.hpp"

using namespace supd::ctl;
using namespace std::string_literals;

namespace {

std::uint64_t bit(int signo) { return std::uint64_t{1} << (signo - 1); }

// A real line of /proc/PID/stat with `comm` put in.
std::string stat_line(const std::string& comm) {
  return "4242 (" + comm +
         ") S 4100 4242 4242 0 -1 4194560 120 0 0 0 7 3 0 0 20 0 2 0 1162165 3133440 379 "
         "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 1 1 1 1 1 1 1 0\n";
}

}  // namespace

TEST_CASE("parse_proc_stat reads the fields inspect shows", "[ctl][proc]") {
  const auto s = parse_proc_stat(stat_line("amsa"));
  REQUIRE(s);
  CHECK(s->pid == 4242);
  CHECK(s->comm == "amsa");
  CHECK(s->state == 'S');
  CHECK(s->ppid == 4100);
  CHECK(s->pgid == 4242);
  CHECK(s->sid == 4242);
  CHECK(s->utime == 7);
  CHECK(s->stime == 3);
  CHECK(s->threads == 2);
  CHECK(s->starttime == 1162165);
}

TEST_CASE("parse_proc_stat takes comm up to the last paren, spaces and parens inside", "[ctl][proc]") {
  for (const std::string comm : {"a b", "x) S 1 2 3 (", ")", "((", "tick) R 9", ""}) {
    INFO("comm '" << comm << "'");
    const auto s = parse_proc_stat(stat_line(comm));
    REQUIRE(s);
    CHECK(s->comm == comm);
    CHECK(s->state == 'S');
    CHECK(s->ppid == 4100);
    CHECK(s->sid == 4242);
    CHECK(s->starttime == 1162165);
  }
}

TEST_CASE("parse_proc_stat refuses what is not a stat line", "[ctl][proc]") {
  CHECK_FALSE(parse_proc_stat(""));
  CHECK_FALSE(parse_proc_stat("4242 amsa S 1 2 3"));
  CHECK_FALSE(parse_proc_stat("4242 (amsa) S 1 2 3"));  // too few fields
  CHECK_FALSE(parse_proc_stat("x (amsa)" + stat_line("y").substr(11)));
  CHECK_FALSE(parse_proc_stat("4242 (amsa"));
}

TEST_CASE("parse_proc_stat reads this process's own stat", "[ctl][proc]") {
  const auto info = read_process(::getpid());
  REQUIRE(info);
  CHECK(info->stat.pid == ::getpid());
  CHECK(info->stat.ppid == ::getppid());
  CHECK(info->stat.pgid == ::getpgrp());
  CHECK(info->stat.sid == ::getsid(0));
  CHECK(info->stat.threads >= 1);
  CHECK(info->fds.value_or(0) >= 3);
  CHECK(info->rss_bytes.value_or(0) > 0);
  CHECK(info->uptime_s.has_value());
  CHECK_FALSE(info->argv.empty());
}

TEST_CASE("parse_signal_mask takes 1 to 16 hex digits", "[ctl][proc]") {
  CHECK(parse_signal_mask("0000000000000000") == 0u);
  CHECK(parse_signal_mask("0000000000000001") == 1u);
  CHECK(parse_signal_mask("fffffffe7ffbfeff") == 0xfffffffe7ffbfeffULL);
  CHECK(parse_signal_mask("FFFFFFFFFFFFFFFF") == ~std::uint64_t{0});
  CHECK_FALSE(parse_signal_mask(""));
  CHECK_FALSE(parse_signal_mask("00000000000000000"));  // 17 digits
  CHECK_FALSE(parse_signal_mask("00000000000000g0"));
  CHECK_FALSE(parse_signal_mask("-1"));
}

TEST_CASE("signal_mask_names decodes bit N-1 as signal N, RT signals as RTMIN+n", "[ctl][proc]") {
  CHECK(signal_mask_names(0).empty());
  CHECK(signal_mask_names(1) == std::vector<std::string>{"HUP"});
  CHECK(signal_mask_names(*parse_signal_mask("0000000000000200")) == std::vector<std::string>{"USR1"});
  CHECK(signal_mask_names(bit(SIGUSR1) | bit(SIGTERM) | bit(SIGHUP)) ==
        std::vector<std::string>{"HUP", "USR1", "TERM"});
  CHECK(signal_mask_names(bit(SIGRTMIN)) == std::vector<std::string>{"RTMIN"});
  CHECK(signal_mask_names(bit(SIGRTMIN + 2)) == std::vector<std::string>{"RTMIN+2"});
  CHECK(signal_mask_names(bit(SIGRTMAX)) == std::vector<std::string>{"RTMAX"});
  CHECK(signal_mask_names(bit(SIGRTMAX - 1)) == std::vector<std::string>{"RTMAX-1"});
  // 32 and 33 are glibc's own, below SIGRTMIN: shown by number.
  CHECK(signal_mask_names(bit(32) | bit(33)) == std::vector<std::string>{"32", "33"});
  CHECK(signal_mask_names(~std::uint64_t{0}).size() == 64);
}

TEST_CASE("describe_dispositions says ignores, catches and blocks, or nothing", "[ctl][proc]") {
  CHECK(describe_dispositions(bit(SIGHUP), bit(SIGUSR1), 0) == "ignores HUP; catches USR1; blocks nothing");
  CHECK(describe_dispositions(0, bit(SIGUSR1) | bit(SIGTERM), bit(SIGRTMIN + 2)) ==
        "ignores nothing; catches USR1, TERM; blocks RTMIN+2");
}

TEST_CASE("parse_proc_status, parse_kib and parse_cmdline", "[ctl][proc]") {
  const auto status = parse_proc_status("Name:\tamsa\nVmHWM:\t    1200 kB\nVmRSS:\t     900 kB\n"
                                        "Threads:\t1\nSigIgn:\t0000000000000001\nbroken line\n");
  CHECK(status.at("Name") == "amsa");
  CHECK(status.at("SigIgn") == "0000000000000001");
  CHECK(parse_kib(status.at("VmHWM")) == 1200u * 1024);
  CHECK(parse_kib(status.at("VmRSS")) == 900u * 1024);
  CHECK_FALSE(parse_kib("900 MB"));
  CHECK_FALSE(parse_kib(" kB"));
  CHECK(status.count("broken line") == 0);

  CHECK(parse_cmdline("python3\0-u\0amsa.py\0"s) == std::vector<std::string>{"python3", "-u", "amsa.py"});
  CHECK(parse_cmdline("sh\0-c\0\0"s) == std::vector<std::string>{"sh", "-c", ""});
  CHECK(parse_cmdline("").empty());
  CHECK(parse_cmdline("no-nul") == std::vector<std::string>{"no-nul"});
}

TEST_CASE("render_inspect prints aligned label lines and the group", "[ctl][proc]") {
  ProcessInfo info;
  info.stat = *parse_proc_stat(stat_line("amsa"));
  info.ppid_comm = "supd";
  info.argv = {"/opt/amsa", "hello world"};
  info.cwd = "/srv";
  info.fds = 3;
  info.rss_bytes = 2 * 1024 * 1024;
  info.hwm_bytes = 512 * 1024;
  info.sig_ignored = bit(SIGHUP);
  info.sig_caught = bit(SIGUSR1) | bit(SIGTERM);
  const auto text = render_inspect("amsa", info, {{4243, "sleep 100"}, {4244, "[cat]"}});
  CHECK(text.find("pid:      4242\n") != std::string::npos);
  CHECK(text.find("ppid:     4100 (supd)\n") != std::string::npos);
  CHECK(text.find("pgid:     4242\n") != std::string::npos);
  CHECK(text.find("state:    S (sleeping)\n") != std::string::npos);
  CHECK(text.find("command:  /opt/amsa 'hello world'\n") != std::string::npos);
  CHECK(text.find("memory:   rss 2.0 MiB, peak 512 KiB\n") != std::string::npos);
  CHECK(text.find("signals:  ignores HUP; catches USR1, TERM; blocks nothing\n") != std::string::npos);
  CHECK(text.find("pending:  nothing\n") != std::string::npos);
  CHECK(text.find("group:    4243 sleep 100\n          4244 [cat]\n") != std::string::npos);

  const auto j = inspect_json("amsa", info, {{4243, "sleep 100"}});
  CHECK(j["pid"] == 4242);
  CHECK(j["sid"] == 4242);
  CHECK(j["signals"]["ignored"] == nlohmann::json{"HUP"});
  CHECK(j["signals"]["caught"] == nlohmann::json{"USR1", "TERM"});
  CHECK(j["signals"]["blocked"] == nlohmann::json::array());
  CHECK(j["group"][0]["pid"] == 4243);
  CHECK(j["command"] == nlohmann::json{"/opt/amsa", "hello world"});
}

TEST_CASE("proc limits and the v2 cgroup read from their files' text", "[ctl][proc]") {
  const auto limits = parse_proc_limits(
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max core file size        0                    unlimited            bytes     \n"
      "Max processes             512                  512                  processes \n"
      "Max open files            4096                 524288               files     \n"
      "Max realtime timeout      unlimited            unlimited            us        \n");
  REQUIRE(limits.size() == 5);
  CHECK(limits[0] == ProcLimit{"cpu", std::nullopt, std::nullopt});
  CHECK(limits[1] == ProcLimit{"core", 0, std::nullopt});
  CHECK(limits[3] == ProcLimit{"nofile", 4096, 524288});
  CHECK(limits[4].name == "rttime");
  CHECK(parse_cgroup_v2("4:memory:/x\n0::/supd-1a2b/web@1.job\n") == "/supd-1a2b/web@1.job");
  CHECK(parse_cgroup_v2("4:memory:/x\n").empty());
}

TEST_CASE("inspect shows umask limits and what the job's cgroup holds", "[ctl][proc]") {
  ProcessInfo info;
  info.stat.pid = 4242;
  info.stat.pgid = 4242;
  info.umask = "0027";
  info.limits = {{"core", std::nullopt, std::nullopt}, {"nofile", 4096, 4096}};
  info.cgroup = "/supd-1a2b/web.job";
  const std::vector<GroupMember> cg{{4242, "sleep 1"}, {4250, "sleep 2"}};
  const auto text = render_inspect("web", info, {}, cg);
  CHECK(text.find("umask:    0027\n") != std::string::npos);
  CHECK(text.find("limits:   nofile 4096/4096, core unlimited/unlimited\n") != std::string::npos);
  CHECK(text.find("cgroup:   /supd-1a2b/web.job\n") != std::string::npos);
  CHECK(text.find("in cgroup:4250 sleep 2\n") != std::string::npos);
  CHECK(text.find("4242 sleep 1") == std::string::npos);
  const auto j = inspect_json("web", info, {}, cg);
  CHECK(j["umask"] == "0027");
  CHECK(j["limits"]["nofile"]["soft"] == 4096);
  CHECK(j["limits"]["core"]["hard"] == "unlimited");
  CHECK(j["cgroup"] == "/supd-1a2b/web.job");
  CHECK(j["cgroup_processes"].size() == 2);
}

TEST_CASE("cgroup members come from the job cgroup's procs only", "[ctl][proc]") {
  CHECK(cgroup_members("/user.slice/session-1.scope").empty());
}
