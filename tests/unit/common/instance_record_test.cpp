// The record of the supd that owns a log dir, and the other places supctl looks for a supd.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "common/instance_record.hpp"

using namespace supd::common;
namespace fs = std::filesystem;

TEST_CASE("an instance record survives a round trip and a bad one is refused", "[instance_record]") {
  const InstanceRecord r{4242, "/run/user/1000/supd/supd.sock"};
  CHECK(decode_instance_record(encode_instance_record(r)) == r);
  CHECK_FALSE(decode_instance_record(""));
  CHECK_FALSE(decode_instance_record("4242\n"));  // the old lock's bare pid
  CHECK_FALSE(decode_instance_record(R"({"pid": 0, "socket": "/a.sock"})"));
  CHECK_FALSE(decode_instance_record(R"({"pid": 7, "socket": "relative.sock"})"));
  CHECK_FALSE(decode_instance_record(R"({"pid": "7", "socket": "/a.sock"})"));
}

TEST_CASE("supctl looks at the record's socket first then the two runtime dirs without repeats", "[instance_record]") {
  char tmpl[] = "/tmp/instance-record-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const fs::path dir(tmpl);
  Paths paths;
  paths.log_dir = dir;
  paths.socket = "/tmp/supd-77/supd.sock";  // the resolved one is never repeated

  auto others = other_sockets(paths, 77);
  CHECK(others == std::vector<fs::path>{"/run/user/77/supd/supd.sock"});

  std::ofstream(instance_lock_path(dir)) << encode_instance_record({99, dir / "elsewhere.sock"});
  REQUIRE(read_instance_record(dir));
  others = other_sockets(paths, 77);
  CHECK(others == std::vector<fs::path>{dir / "elsewhere.sock", "/run/user/77/supd/supd.sock"});
  fs::remove_all(dir);
}
