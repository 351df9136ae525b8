// Names users give (TESTPLAN R91, issue 15): a job may not be named `all`, and `run` refuses
// the environment names the config refuses, so `persist` never meets one it cannot write.
#include "tests/support/harness.hpp"

using namespace supd::test;

TEST_CASE("R91 a job named all is refused by the config, by supd's run and by supctl before it sends",
          "[integration][names][R91]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d("[jobs.all]\ncommand = [\"sleep\", \"1000\"]\n", opts);
  const auto check = d.run_supd({"--check", "--config", d.config_path().string()});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 1);
  CHECK(contains(check.out + check.err, "supd.toml:1:1: job name 'all' is reserved"));

  write_file(d.config_path(), "[jobs.web]\ncommand = [\"sleep\", \"1000\"]\n");
  d.start();
  REQUIRE(d.wait_running("web") > 0);
  RawClient raw(d.socket());
  const auto reply = raw.request({{"id", 1},
                                  {"method", "run"},
                                  {"params", {{"name", "all"}, {"command", {"sleep", "1000"}}, {"directory", "/"}}}});
  REQUIRE(reply);
  INFO(reply->dump());
  CHECK((*reply)["error"]["code"] == "invalid_name");
  CHECK(contains((*reply)["error"]["message"].get<std::string>(), "job name 'all' is reserved"));

  const auto r = d.ctl({"run", "all", "--", "sleep", "1000"});
  CHECK(r.exit_code == kUsage);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "reserved"));
  CHECK(d.tagged().size() == 1);  // web alone: nothing was started as `all`
  d.finish();
}

TEST_CASE("run refuses an environment name the config refuses and a name persist can write is persisted",
          "[integration][names][issue15]") {
  TestDaemon d("");
  const auto bad = d.ctl({"run", "nl", "--env", "A\nB=1", "--", "sleep", "1000"});
  INFO(bad.err);
  CHECK(bad.exit_code == kRefused);
  CHECK(is_one_line(bad.err));
  CHECK(contains(bad.err, "invalid environment variable name 'A\\x0aB'"));
  CHECK(d.state("nl").empty());

  // A quote in a name is odd but valid: it must survive the config file.
  const auto quote = d.ctl({"run", "quote", "--env", "A'B=1", "--restart", "never", "--", "true"});
  INFO(quote.err);
  REQUIRE(quote.exit_code == kOk);
  const auto p = d.ctl({"persist", "quote"});
  INFO(p.err);
  CHECK(p.exit_code == kOk);
  const auto check = d.run_supd({"--check", "--config", d.config_path().string()});
  INFO(read_file(d.config_path()) << check.out << check.err);
  CHECK(check.exit_code == 0);
  d.finish();
}
