// A scripted fake supd on a real Unix socket in a temp dir, for supctl's client tests: each
// accepted connection is handed to a script that reads requests and writes answers.
#pragma once
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "common/fd.hpp"
#include "common/line_reader.hpp"
#include "common/protocol.hpp"
#include "tests/unit/shared.hpp"

namespace supd::ctl_test {

namespace fs = std::filesystem;
namespace proto = supd::protocol;
using supd::common::UniqueFd;

using supd::test_unit::TempDir;

inline UniqueFd bound_socket(const fs::path& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.string().copy(addr.sun_path, sizeof addr.sun_path - 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// One accepted connection, as the script sees it.
class Conn {
public:
  explicit Conn(UniqueFd fd) : fd_(std::move(fd)) {}
  // The next request line, or "" at EOF.
  std::string read_line() {
    std::string line;
    for (char buf[4096];;) {
      if (reader_.next(line) == supd::common::LineReader::Status::Line) return line;
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n <= 0) return {};
      reader_.feed({buf, static_cast<std::size_t>(n)});
    }
  }
  // Reads a request and returns its decoded form (REQUIREs that it decodes).
  proto::Request read_request() {
    const auto decoded = proto::decode_request(read_line());
    REQUIRE(std::holds_alternative<proto::Request>(decoded));
    return std::get<proto::Request>(decoded);
  }
  void send(const std::string& bytes) { ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  void reply(std::uint64_t id, nlohmann::json result) { send(proto::encode_response({id, std::move(result)})); }
  void fail(std::uint64_t id, proto::ErrorCode code, std::string message) {
    send(proto::encode_response({id, proto::Error{code, std::move(message)}}));
  }
  // Answers hello as supd does.
  void greet() {
    const auto hello = read_request();
    REQUIRE(std::holds_alternative<proto::Hello>(hello.command));
    reply(hello.id, {{"protocol", 1}, {"version", "0.1.0"}});
  }
  void close() { fd_.reset(); }

private:
  UniqueFd fd_;
  supd::common::LineReader reader_{proto::kMaxLineBytes};
};

// A fake supd that accepts one connection (or, with Accept::Each, every one until it goes)
// and runs a script on each.
class FakeSupd {
public:
  enum class Accept { Once, Each };
  explicit FakeSupd(std::function<void(Conn&)> script, Accept accept = Accept::Once)
      : listener_(bound_socket(socket())) {
    REQUIRE(::listen(listener_.get(), 8) == 0);
    thread_ = std::thread([this, accept, script = std::move(script)] {
      do {
        UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!conn) return;
        Conn c(std::move(conn));
        script(c);
      } while (accept == Accept::Each);
    });
  }
  ~FakeSupd() {
    ::shutdown(listener_.get(), SHUT_RDWR);  // wakes accept() if nobody connected
    thread_.join();
  }
  fs::path socket() const { return dir_.path / "supd.sock"; }

private:
  TempDir dir_;
  UniqueFd listener_;
  std::thread thread_;
};

}  // namespace supd::ctl_test
