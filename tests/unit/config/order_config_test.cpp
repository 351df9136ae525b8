// depends_on, type, schedule/every and [jobs.NAME.health] as a config file writes them, and
// every mistake issue 18 names as a file:line:col error at --check and at reload.
#include <catch2/catch.hpp>

#include "config/diff.hpp"
#include "config/load.hpp"
#include "config_test_util.hpp"

using namespace supd::config;
using supd::config::test::has_message;
using supd::config::test::messages;
using supd::config::test::parse;

namespace {


}  // namespace

TEST_CASE("a web app that needs a database and a migration reads as written", "[config][order]") {
  const auto r = parse(R"(
[jobs.db]
command = "redis-server"
ready = "listen"
[jobs.db.health]
tcp = "127.0.0.1:6379"
interval = "5s"
retries = 2
[jobs.migrate]
command = "./migrate"
type = "oneshot"
[jobs.web]
command = "./web"
depends_on = { db = "healthy", migrate = "completed" }
[jobs.cache]
command = "./cache"
depends_on = ["db"]
)");
  INFO(Catch::Detail::stringify(messages(r)));
  REQUIRE(r.config);
  const auto& db = *r.config->find("db");
  CHECK(db.ready == Readiness::Listen);
  REQUIRE(db.health);
  CHECK(db.health->kind == HealthCheck::Kind::Tcp);
  CHECK(db.health->target == "127.0.0.1:6379");
  CHECK(db.health->interval == std::chrono::seconds(5));
  CHECK(db.health->retries == 2);
  CHECK(db.health->timeout == std::chrono::seconds(2));  // the default
  CHECK(db.health->restart_on_unhealthy);
  const auto& migrate = *r.config->find("migrate");
  CHECK(migrate.type == JobType::Oneshot);
  CHECK(migrate.restart == RestartPolicy::Never);  // a oneshot's default
  const auto& web = *r.config->find("web");
  CHECK(web.depends_on == std::vector<Dependency>{{"db", Condition::Healthy}, {"migrate", Condition::Completed}});
  CHECK(r.config->find("cache")->depends_on == std::vector<Dependency>{{"db", Condition::Running}});
}

TEST_CASE("a dependency on a job that does not exist is an error with a guess", "[config][order]") {
  const auto r = parse("[jobs.db]\ncommand = \"d\"\n[jobs.web]\ncommand = \"w\"\ndepends_on = [\"dbb\"]\n");
  CHECK(messages(r) == std::vector<std::string>{
                           "supd.toml:5:15: depends_on: no job \"dbb\" in this file (did you mean \"db\"?)"});
}

TEST_CASE("a dependency cycle is an error that names the cycle", "[config][order]") {
  const auto r = parse(R"([jobs.a]
command = "a"
depends_on = ["b"]
[jobs.b]
command = "b"
depends_on = ["c"]
[jobs.c]
command = "c"
depends_on = ["a"]
)");
  REQUIRE(r.errors.size() == 1);
  CHECK(has_message(r, "depends_on: a cycle: a -> b -> c -> a"));
  CHECK(r.errors.front().line == 9);
  const auto self = parse("[jobs.a]\ncommand = \"a\"\ndepends_on = [\"a\"]\n");
  CHECK(has_message(self, "job \"a\" cannot depend on itself"));
}

TEST_CASE("waiting for healthy needs a health check on the dependency", "[config][order]") {
  const auto r = parse("[jobs.db]\ncommand = \"d\"\n[jobs.web]\ncommand = \"w\"\ndepends_on = { db = \"healthy\" }\n");
  CHECK(has_message(r, "supd.toml:5:16: depends_on: \"db\" has no health check"));
  const auto bad = parse("[jobs.db]\ncommand = \"d\"\n[jobs.web]\ncommand = \"w\"\ndepends_on = { db = \"up\" }\n");
  CHECK(has_message(bad, "depends_on.db: unknown condition \"up\" (use \"started\", \"running\", \"healthy\" or \"completed\")"));
}

TEST_CASE("a health check is one kind and not on a oneshot", "[config][order][health]") {
  const auto two = parse("[jobs.a]\ncommand = \"a\"\n[jobs.a.health]\ntcp = \"127.0.0.1:1\"\nhttp = \"http://x/\"\n");
  CHECK(has_message(two, "health: give one of exec, http and tcp, not several"));
  const auto none = parse("[jobs.a]\ncommand = \"a\"\n[jobs.a.health]\ninterval = \"1s\"\n");
  CHECK(has_message(none, "health: give the check"));
  const auto oneshot = parse("[jobs.a]\ncommand = \"a\"\ntype = \"oneshot\"\n[jobs.a.health]\nexec = [\"true\"]\n");
  CHECK(has_message(oneshot, "health: a oneshot job runs to completion"));
  const auto url = parse("[jobs.a]\ncommand = \"a\"\n[jobs.a.health]\nhttp = \"localhost:80\"\n");
  CHECK(has_message(url, "health.http: \"localhost:80\" is not an http:// or https:// URL"));
  const auto port = parse("[jobs.a]\ncommand = \"a\"\n[jobs.a.health]\ntcp = \"localhost\"\n");
  CHECK(has_message(port, "health.tcp: missing ':port' in 'localhost' (write host:port)"));
  const auto key = parse("[jobs.a]\ncommand = \"a\"\n[jobs.a.health]\nexec = \"true\"\nretrys = 2\n");
  CHECK(has_message(key, "unknown key \"retrys\" (did you mean \"retries\"?)"));
  const auto action = parse("[jobs.a]\ncommand = \"a\"\n[jobs.a.health]\nexec = \"true\"\non_unhealthy = \"kill\"\n");
  CHECK(has_message(action, "health.on_unhealthy: unknown action \"kill\""));
}

TEST_CASE("a bad cron expression is an error pointing into it", "[config][order][schedule]") {
  const auto r = parse("[jobs.a]\ncommand = \"a\"\nschedule = \"*/5 25 * * *\"\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(has_message(r, "schedule: hour field '25' is out of range 0-23"));
  CHECK(r.errors.front().line == 3);
  CHECK(r.errors.front().column == 17);  // at "25"
  const auto ok = parse("[jobs.a]\ncommand = \"a\"\nschedule = \"0 3 * * *\"\n");
  REQUIRE(ok.config);
  CHECK(ok.config->find("a")->schedule == "0 3 * * *");
  CHECK_FALSE(ok.config->find("a")->autostart);  // a scheduled job runs at its times
}

TEST_CASE("a schedule on a job that never finishes or twice over is an error", "[config][order][schedule]") {
  const auto always = parse("[jobs.a]\ncommand = \"a\"\nrestart = \"always\"\nevery = \"10m\"\n");
  CHECK(has_message(always, "every: a job with restart = \"always\" never finishes"));
  const auto both = parse("[jobs.a]\ncommand = \"a\"\nschedule = \"@daily\"\nevery = \"1h\"\n");
  CHECK(has_message(both, "every: give schedule or every, not both"));
  const auto zero = parse("[jobs.a]\ncommand = \"a\"\nevery = \"0s\"\n");
  CHECK(has_message(zero, "every: must be more than 0"));
}

TEST_CASE("keys that name other jobs or times are per job only", "[config][order]") {
  const auto r = parse("[defaults]\ndepends_on = [\"db\"]\n[jobs.db]\ncommand = \"d\"\n");
  CHECK(has_message(r, "depends_on: set it per job ([jobs.NAME]), not in [defaults]"));
}

TEST_CASE("reload shows a changed dependency and applies it in place", "[config][order][diff]") {
  const auto a = parse("[jobs.db]\ncommand = \"d\"\n[jobs.web]\ncommand = \"w\"\n");
  const auto b = parse("[jobs.db]\ncommand = \"d\"\n[jobs.web]\ncommand = \"w\"\ndepends_on = [\"db\"]\n");
  REQUIRE(a.config);
  REQUIRE(b.config);
  const auto d = diff(*a.config, *b.config);
  const auto& web = d.jobs.at(1);
  REQUIRE(web.fields.size() == 1);
  CHECK(web.fields.front().field == "depends_on");
  CHECK(web.fields.front().new_value == "{db = \"running\"}");
  CHECK_FALSE(web.needs_restart());
}
