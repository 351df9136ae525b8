// open_log_path (daemon/output/log_dir.hpp): what may be opened as a log file, and what is refused.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "daemon/control/control_socket.hpp"
#include "daemon/output/log_dir.hpp"

namespace fs = std::filesystem;
using supd::daemon::open_log_path;

namespace {

struct Dir {
  fs::path path;
  Dir() {
    char tmpl[] = "/tmp/supd-logdir-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

}  // namespace

TEST_CASE("open_log_path opens a regular file, making missing subdirectories 0700", "[log_dir]") {
  Dir d;
  std::string error;
  auto fd = open_log_path(d.path, d.path / "a.out", error);
  CHECK(fd);
  CHECK((::fcntl(fd.get(), F_GETFL) & O_NONBLOCK) == 0);
  CHECK((::fcntl(fd.get(), F_GETFL) & O_APPEND) != 0);
  fd = open_log_path(d.path / "", d.path / "sub" / "deeper" / "b.out", error);  // "DIR/" is DIR
  INFO(error);
  CHECK(fd);
  CHECK(fs::is_regular_file(d.path / "sub" / "deeper" / "b.out"));
  CHECK(mode_of(d.path / "sub") == 0700);
  CHECK(mode_of(d.path / "sub" / "deeper") == 0700);
}

TEST_CASE("open_log_path refuses a FIFO at once, naming it", "[log_dir][R84]") {
  Dir d;
  const auto fifo = d.path / "f.out";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string error;
  const auto fd = open_log_path(d.path, fifo, error);  // would hang or block later without O_NONBLOCK + fstat
  CHECK_FALSE(fd);
  CHECK(errno == EPERM);
  CHECK(error == fifo.string() + " is a FIFO, not a regular file; supd writes job output only into regular files: "
                                 "remove it");
}

TEST_CASE("open_log_path follows no symlink: not the file, not a subdirectory, not the log dir", "[log_dir][R87]") {
  Dir d;
  fs::create_directory(d.path / "logs");
  fs::create_directory(d.path / "elsewhere");
  fs::create_symlink(d.path / "target", d.path / "logs" / "l.out");
  fs::create_directory_symlink(d.path / "elsewhere", d.path / "logs" / "sub");
  fs::create_directory_symlink(d.path / "logs", d.path / "loglink");
  std::string error;
  CHECK_FALSE(open_log_path(d.path / "logs", d.path / "logs" / "l.out", error));
  CHECK(error == (d.path / "logs" / "l.out").string() + " is a symlink; supd never writes through one: remove it");
  CHECK_FALSE(open_log_path(d.path / "logs", d.path / "logs" / "sub" / "x.out", error));
  CHECK(error == (d.path / "logs" / "sub").string() + " is a symlink; supd never writes through one: remove it");
  CHECK_FALSE(open_log_path(d.path / "loglink", d.path / "loglink" / "x.out", error));
  CHECK(error == (d.path / "loglink").string() + " is a symlink; supd never writes through one: remove it");
  CHECK_FALSE(fs::exists(d.path / "target"));
  CHECK(fs::is_empty(d.path / "elsewhere"));
}

TEST_CASE("open_log_path refuses a log dir group or others may write", "[log_dir][R87]") {
  Dir d;
  fs::permissions(d.path, fs::perms(0770));
  std::string error;
  CHECK_FALSE(open_log_path(d.path, d.path / "x.out", error));
  CHECK(error == "log dir " + d.path.string() +
                     " is writable by group or others (mode 0770); fix it with: chmod go-w " + d.path.string());
  CHECK_FALSE(fs::exists(d.path / "x.out"));
}

TEST_CASE("prepare_log_dir makes the missing part 0700 and refuses a symlinked or open log dir", "[log_dir][R87]") {
  Dir d;
  supd::daemon::prepare_log_dir(d.path / "a" / "b");
  CHECK(mode_of(d.path / "a") == 0700);
  CHECK(mode_of(d.path / "a" / "b") == 0700);
  fs::create_directory_symlink(d.path / "a", d.path / "link");
  CHECK_THROWS_WITH(supd::daemon::prepare_log_dir(d.path / "link"),
                    Catch::Contains("log dir " + (d.path / "link").string() + " is a symlink (to " +
                                    (d.path / "a").string() + ")"));
  fs::permissions(d.path / "a" / "b", fs::perms(0757));
  CHECK_THROWS_WITH(supd::daemon::prepare_log_dir(d.path / "a" / "b"), Catch::Contains("(mode 0757)"));
  // Above the log dir, others may write a sticky directory (/tmp), not a plain one.
  fs::permissions(d.path / "a", fs::perms(01777));
  fs::permissions(d.path / "a" / "b", fs::perms(0700));
  CHECK_NOTHROW(supd::daemon::prepare_log_dir(d.path / "a" / "b"));
  fs::permissions(d.path / "a", fs::perms(0777));
  CHECK_THROWS_WITH(supd::daemon::prepare_log_dir(d.path / "a" / "b"),
                    Catch::Contains((d.path / "a").string() + " above it is writable by group or others (mode 0777)"));
}
