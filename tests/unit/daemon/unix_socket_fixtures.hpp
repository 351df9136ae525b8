// Small fixtures the systemd-glue and listen-check tests share: Unix socket addresses,
// and a datagram socket bound in a temp dir that stands in for NOTIFY_SOCKET.
#pragma once
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "common/fd.hpp"
#include "tests/unit/shared.hpp"

namespace supd::test_unit {

inline sockaddr_un unix_address(const std::filesystem::path& p) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, p.c_str(), sizeof a.sun_path - 1);
  return a;
}

inline common::UniqueFd bound(int type, const std::filesystem::path& p) {
  common::UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  const auto a = unix_address(p);
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

}  // namespace supd::test_unit
