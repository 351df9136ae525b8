#include "tests/support/files.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

#include "tests/support/wait.hpp"

namespace supd::test {

TempDir::TempDir(std::string_view prefix) {
  std::string templ = "/tmp/" + std::string(prefix) + "XXXXXX";
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp " + templ + " failed");
  path_ = templ;
}

TempDir::~TempDir() {
  if (std::getenv("SUPD_TEST_KEEP")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);  // best effort: a destructor must not throw
}

std::string read_file(const fs::path& file) {
  // POSIX reads: /proc files of a process that just exited fail with ESRCH, which
  // std::ifstream would turn into an exception.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

void write_file(const fs::path& file, std::string_view text, fs::perms mode) {
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + file.string());
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) throw std::runtime_error("cannot write " + file.string());
  }
  fs::permissions(file, mode);
}

bool file_contains(const fs::path& file, std::string_view needle) {
  return read_file(file).find(needle) != std::string::npos;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.emplace_back(text.substr(start));
      break;
    }
    out.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::size_t count_occurrences(std::string_view text, std::string_view needle) {
  if (needle.empty()) return 0;
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + needle.size()))
    ++n;
  return n;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  if (from.empty()) return text;
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

std::string trim(std::string_view text) {
  const auto b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(b, e - b + 1));
}

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

bool rotation_settled(const fs::path& live) {
  const std::string pending = "." + live.filename().string() + ".pending.";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(live.parent_path(), ec))
    if (e.path().filename().string().rfind(pending, 0) == 0) return false;
  return true;
}

std::string read_rotated_logs(const fs::path& live, int keep) {
  (void)eventually([&] { return rotation_settled(live); }, std::chrono::seconds(30));
  std::string text;
  for (int k = keep; k >= 1; --k) text += read_file(live.string() + "." + std::to_string(k));
  return text + read_file(live);
}

}  // namespace supd::test
