// `stats`' pure parts: a /proc/PID/stat line read from the last ')' on, and the CPU% window
// kept per job with a fake clock.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "daemon/control/stats_sampler.hpp"
#include "daemon/process/proc_stats.hpp"

using namespace supd::daemon;
using namespace std::chrono_literals;

TEST_CASE("a stat line is read from its last parenthesis on", "[stats]") {
  // A command name with blanks and parentheses; utime 150, stime 50, rss 321 pages.
  const std::string line = "4242 (my (odd) name) S 1 4240 4240 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 1 0 "
                           "12345 1000000 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  const auto s = parse_proc_stat(4242, line);
  REQUIRE(s);
  CHECK(s->pid == 4242);
  CHECK(s->pgid == 4240);
  CHECK(s->cpu_ticks == 200);
  CHECK(s->rss_pages == 321);
  CHECK_FALSE(parse_proc_stat(1, "4242 no parenthesis S 1 2 3"));
  CHECK_FALSE(parse_proc_stat(1, "4242 (short) S 1 4240"));
  CHECK_FALSE(parse_proc_stat(1, "4242 (bad) S 1 x 4240 0 -1 0 0 0 0 0 a b 0 0 20 0 1 0 1 1 1"));
}

TEST_CASE("this process's own stat is read from /proc", "[stats]") {
  const auto s = read_proc_stat(::getpid());
  REQUIRE(s);
  CHECK(s->pgid == ::getpgrp());
  CHECK(s->rss_pages > 0);
  const auto all = read_all_proc_stats();
  CHECK(std::any_of(all.begin(), all.end(), [](const ProcStat& p) { return p.pid == ::getpid(); }));
}

TEST_CASE("CPU% is measured since the last ask of the same run, else since its start", "[stats]") {
  StatsSampler sampler;
  const TimePoint start{};
  // First ask, 10 s into the run, 2 CPU seconds used: the average since the start.
  auto first = sampler.cpu_percent("api", 100, 2.0, start, start + 10s);
  REQUIRE(first);
  CHECK(first->pct == Approx(20.0));
  CHECK(first->window_s == Approx(10.0));
  // One second later, half a CPU second more: 50% over the last second.
  auto second = sampler.cpu_percent("api", 100, 2.5, start, start + 11s);
  REQUIRE(second);
  CHECK(second->pct == Approx(50.0));
  CHECK(second->window_s == Approx(1.0));
  // Asked again 100 ms later: the window still starts at the last sample a full window ago.
  auto quick = sampler.cpu_percent("api", 100, 2.6, start, start + 11s + 100ms);
  REQUIRE(quick);
  CHECK(quick->window_s == Approx(11.1));  // too soon for a window of its own: since the start
  auto later = sampler.cpu_percent("api", 100, 3.0, start, start + 12s);
  REQUIRE(later);
  CHECK(later->pct == Approx(50.0));  // over the second since 11 s, not the 0.9 s since the quick ask
  // A new run (another pid) starts over.
  auto restarted = sampler.cpu_percent("api", 200, 0.5, start + 12s, start + 13s);
  REQUIRE(restarted);
  CHECK(restarted->pct == Approx(50.0));
  CHECK(restarted->window_s == Approx(1.0));
  // Samples older than kept are forgotten.
  sampler.forget_before(start + 20s);
  CHECK(sampler.size() == 0);
  CHECK_FALSE(sampler.cpu_percent("new", 300, 0.0, start + 30s, start + 30s));
}
