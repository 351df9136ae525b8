// "Did you mean": the distance, the nearest candidate, and the unknown-job message supd sends.
#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

#include "common/edit_distance.hpp"
#include "common/names.hpp"

using namespace supd::common;

TEST_CASE("closest names the nearest candidate within two edits", "[edit_distance]") {
  const std::vector<std::string_view> jobs{"amsa", "worker", "web"};
  CHECK(edit_distance("ams", "amsa") == 1);
  CHECK(edit_distance("strat", "start") == 1);  // a swap is one slip
  CHECK(edit_distance("ab", "ba") == 1);
  CHECK(edit_distance("abc", "ca") == 3);
  CHECK(closest("ams", jobs) == std::optional<std::string_view>("amsa"));
  CHECK(closest("wrker", jobs) == std::optional<std::string_view>("worker"));
  CHECK(closest("wbe", jobs) == std::optional<std::string_view>("web"));
  CHECK_FALSE(closest("database", jobs));
  CHECK_FALSE(closest("x", std::vector<std::string_view>{"y"}));  // not a whole rewrite
  CHECK_FALSE(closest("ams", std::vector<std::string_view>{}));
}

TEST_CASE("an unknown job's message suggests the nearest job", "[edit_distance]") {
  const std::vector<std::string_view> jobs{"amsa", "worker"};
  CHECK(unknown_job_message("ams", jobs) == "no job named 'ams'; did you mean 'amsa'? see: supctl status");
  CHECK(unknown_job_message("nope", jobs) == "no job named 'nope'; see: supctl status");
}
