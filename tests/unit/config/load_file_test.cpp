// load_config: what is not a regular, readable, reasonably sized file gets one clear error.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/load.hpp"
#include "config_test_util.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::config;
namespace fs = std::filesystem;

namespace {

using supd::test_unit::TempDir;

// 0644 whatever the umask: load_config refuses a config others may write.
void write_file(const fs::path& p, const std::string& text) {
  {
    std::ofstream out(p, std::ios::binary);
    out << text;
    REQUIRE(out.good());
  }
  fs::permissions(p, fs::perms(0644));
}

std::vector<std::string> load_messages(const fs::path& p) {
  const auto r = load_config(p, test::fake_env);
  CHECK_FALSE(r.config);
  return test::messages(r);
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("a regular file loads, with base_dir = its directory", "[config][load_file]") {
  TempDir dir;
  const auto file = dir.path / "supd.toml";
  write_file(file, "[jobs.amsa]\ncommand = \"python3 amsa.py\"\n[jobs.sub]\ncommand = \"x\"\ndirectory = \"sub\"\n");
  const auto r = load_config(file, test::fake_env);
  INFO(Catch::Detail::stringify(test::messages(r)));
  REQUIRE(r.config);
  REQUIRE(r.config->jobs.size() == 2);
  CHECK(r.config->jobs[0].directory == dir.path);
  CHECK(r.config->jobs[1].directory == dir.path / "sub");
}

TEST_CASE("a relative config path still gives an absolute base_dir", "[config][load_file]") {
  TempDir dir;
  write_file(dir.path / "supd.toml", "[jobs.a]\ncommand = \"x\"\n");
  const auto old = fs::current_path();
  fs::current_path(dir.path);
  const auto r = load_config("supd.toml", test::fake_env);
  fs::current_path(old);
  REQUIRE(r.config);
  CHECK(r.config->jobs[0].directory == dir.path);
}

TEST_CASE("errors inside the file carry the path as given", "[config][load_file]") {
  TempDir dir;
  const auto file = dir.path / "supd.toml";
  write_file(file, "[jobs.a]\ncommand = \"x\"\nrestart = 5\n");
  CHECK(load_messages(file) ==
        Lines{file.string() + R"(:3:11: restart: expected "always", "on-failure" or "never", got integer)"});
}

TEST_CASE("R65: a missing file and a dangling symlink", "[config][load_file][R65]") {
  TempDir dir;
  const auto missing = dir.path / "nope.toml";
  CHECK(load_messages(missing) == Lines{missing.string() + ": No such file or directory"});
  const auto link = dir.path / "dangling.toml";
  fs::create_symlink(dir.path / "gone.toml", link);
  CHECK(load_messages(link) == Lines{link.string() + ": No such file or directory"});
}

TEST_CASE("R65: a directory", "[config][load_file][R65]") {
  TempDir dir;
  CHECK(load_messages(dir.path) == Lines{dir.path.string() + ": not a regular file"});
}

TEST_CASE("R65: a FIFO with no writer does not hang", "[config][load_file][R65]") {
  TempDir dir;
  const auto fifo = dir.path / "fifo.toml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(load_messages(fifo) == Lines{fifo.string() + ": not a regular file"});
}

TEST_CASE("R65: a symlink to /dev/zero and a socket", "[config][load_file][R65]") {
  TempDir dir;
  const auto zero = dir.path / "zero.toml";
  fs::create_symlink("/dev/zero", zero);
  CHECK(load_messages(zero) == Lines{zero.string() + ": not a regular file"});

  const auto sock_path = dir.path / "sock.toml";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(sock_path.string().size() < sizeof addr.sun_path);
  std::copy_n(sock_path.c_str(), sock_path.string().size(), addr.sun_path);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  CHECK(load_messages(sock_path) == Lines{sock_path.string() + ": not a regular file"});
  ::close(fd);
}

TEST_CASE("R64: a file over 16 MiB is refused before parsing", "[config][load_file][R64]") {
  TempDir dir;
  const auto big = dir.path / "big.toml";
  {
    std::ofstream out(big, std::ios::binary);
    out << "# padding\n";
  }
  fs::resize_file(big, (16u << 20) + 1);  // sparse: cheap to make
  CHECK(load_messages(big) == Lines{big.string() + ": config file is larger than 16 MiB"});
}

TEST_CASE("an unreadable file reports the errno words", "[config][load_file]") {
  if (::geteuid() == 0) return;  // root reads anything
  TempDir dir;
  const auto file = dir.path / "secret.toml";
  write_file(file, "");
  fs::permissions(file, fs::perms::none);
  CHECK(load_messages(file) == Lines{file.string() + ": Permission denied"});
}

TEST_CASE("a file with bytes that are not UTF-8 is a parse error, not a crash", "[config][load_file]") {
  TempDir dir;
  const auto file = dir.path / "bin.toml";
  write_file(file, std::string("[jobs.a]\ncommand = \"\xff\xfe\"\n", 23));
  const auto m = load_messages(file);
  REQUIRE(m.size() == 1);
  CHECK(m[0].rfind(file.string() + ":2:", 0) == 0);
}

TEST_CASE("insecure_file_problem: group or other write, or a stranger's file, is refused", "[config][load_file][R73]") {
  CHECK_FALSE(insecure_file_problem("/c/supd.toml", S_IFREG | 0644, 1000, 1000));
  CHECK_FALSE(insecure_file_problem("/c/supd.toml", S_IFREG | 0600, 1000, 1000));
  CHECK_FALSE(insecure_file_problem("/c/supd.toml", S_IFREG | 0444, 0, 1000));  // root's file: fine
  CHECK_FALSE(insecure_file_problem("/c/supd.toml", S_IFREG | 0755, 1000, 1000));
  CHECK(insecure_file_problem("/c/supd.toml", S_IFREG | 0664, 1000, 1000) ==
        "writable by group or others (mode 0664), who could change the commands supd runs; "
        "fix it with: chmod go-w /c/supd.toml (or start supd with --allow-insecure-config)");
  CHECK(insecure_file_problem("/c/supd.toml", S_IFREG | 0602, 1000, 1000));
  // Root is not exempt: a root supd running a world-writable config runs anyone's commands.
  CHECK(insecure_file_problem("/c/supd.toml", S_IFREG | 0666, 0, 0));
  CHECK(insecure_file_problem("/c/supd.toml", S_IFREG | 0600, 1234, 1000) ==
        "owned by uid 1234, who could change the commands supd runs; "
        "fix it with: chown 1000 /c/supd.toml (or start supd with --allow-insecure-config)");
}

TEST_CASE("R73: insecure_dir_problem: a directory others may write, unless sticky, is refused",
          "[config][load_file][R73]") {
  CHECK_FALSE(insecure_dir_problem("/c", S_IFDIR | 0755, 1000, 1000));
  CHECK_FALSE(insecure_dir_problem("/c", S_IFDIR | 0700, 0, 1000));  // root's directory: fine
  CHECK_FALSE(insecure_dir_problem("/tmp", S_IFDIR | 01777, 0, 1000));  // sticky: no one swaps our file
  CHECK(insecure_dir_problem("/c", S_IFDIR | 0775, 1000, 1000) ==
        "its directory /c is writable by group or others (mode 0775), who could replace the file; "
        "fix it with: chmod go-w /c (or start supd with --allow-insecure-config)");
  CHECK(insecure_dir_problem("/c", S_IFDIR | 0777, 0, 0));
  CHECK(insecure_dir_problem("/c", S_IFDIR | 0755, 1234, 1000) ==
        "its directory /c is owned by uid 1234, who could replace the file; "
        "fix it with: chown 1000 /c (or start supd with --allow-insecure-config)");
}

TEST_CASE("load_config refuses a config others may write, unless told to allow it", "[config][load_file][R73]") {
  TempDir dir;
  const auto file = dir.path / "supd.toml";
  write_file(file, "[jobs.a]\ncommand = \"x\"\n");
  fs::permissions(file, fs::perms(0666));
  const auto messages = load_messages(file);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].rfind(file.string() + ": writable by group or others (mode 0666)", 0) == 0);
  CHECK(messages[0].find("chmod go-w " + file.string()) != std::string::npos);
  CHECK(load_config(file, test::fake_env, ModeCheck::Allow).config);
  fs::permissions(file, fs::perms(0644));
  CHECK(load_config(file, test::fake_env).config);
}
