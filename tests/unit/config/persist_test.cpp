// config::append_job: the persisted table parses back to the job it describes, and the old
// text stays byte for byte.
#include <catch2/catch.hpp>

#include "config/persist.hpp"
#include "tests/unit/config/config_test_util.hpp"

using namespace supd::config;

TEST_CASE("a persisted job parses back to the same argv, directory and environment", "[config][persist]") {
  PersistedJob job{"web.1", {"sh", "-c", "echo \"hi\" 'there' \\ $HOME\nnext"}, "/srv/my dir",
                   {{"GREETING", "hello \"world\""}, {"B_2", "1"}}, "always", "web.log"};
  const std::string old = "# my config\n[jobs.a]\ncommand = \"sleep 1\"";  // no final newline
  const auto text = append_job(old, job);
  INFO(text);
  CHECK(text.rfind(old, 0) == 0);
  const auto r = test::parse(text);
  INFO(Catch::Detail::stringify(test::messages(r)));
  REQUIRE(r.config);
  const JobSpec* spec = r.config->find("web.1");
  REQUIRE(spec);
  CHECK(spec->argv == job.argv);
  CHECK(spec->directory == "/srv/my dir");
  CHECK(spec->environment == job.environment);
  CHECK(spec->restart == RestartPolicy::Always);
  CHECK(spec->stdout_file == "web.log");
  CHECK(r.config->find("a"));
}

TEST_CASE("a persisted job without options into an empty file", "[config][persist]") {
  const auto text = append_job("", PersistedJob{"x", {"true"}, "/", {}, {}, {}});
  CHECK(text.rfind("[jobs.x]\n", 0) == 0);
  const auto r = test::parse(text);
  REQUIRE(r.config);
  REQUIRE(r.config->jobs.size() == 1);
  CHECK(r.config->jobs[0].restart == RestartPolicy::OnFailure);
  CHECK(r.config->jobs[0].stdout_file == "x.out");
}
