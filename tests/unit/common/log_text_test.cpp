#include <string>

#include <catch2/catch.hpp>

#include "common/log_text.hpp"
#include "common/names.hpp"

using supd::common::environment_name_problem;
using supd::common::escape_control;
using supd::common::has_control;
using supd::common::is_reserved_job_name;

TEST_CASE("escape_control keeps a forged line on the line it came in", "[log_text]") {
  CHECK(escape_control("sleep 100") == "sleep 100");
  CHECK(escape_control("a\nsupd[1]: info: forged") == "a\\x0asupd[1]: info: forged");
  CHECK(escape_control(std::string("x\r\t\x1b[2J\x7f", 8)) == "x\\x0d\\x09\\x1b[2J\\x7f");
  CHECK(escape_control(std::string("nul\0in", 6)) == "nul\\x00in");
  CHECK(escape_control("caf\xc3\xa9 \\n") == "caf\xc3\xa9 \\n");  // UTF-8 and a literal backslash stay
  CHECK_FALSE(has_control("/home/u/app dir"));
  CHECK(has_control("/tmp/a\nb"));
}

TEST_CASE("names: 'all' is reserved, and environment names follow the config's rule", "[log_text][names]") {
  CHECK(is_reserved_job_name("all"));
  CHECK_FALSE(is_reserved_job_name("All"));
  CHECK_FALSE(is_reserved_job_name("all2"));
  CHECK_FALSE(environment_name_problem("PATH"));
  CHECK_FALSE(environment_name_problem("A B"));
  CHECK(environment_name_problem(""));
  CHECK(environment_name_problem("A=B"));
  CHECK(environment_name_problem(std::string("A\0B", 3)));
}
