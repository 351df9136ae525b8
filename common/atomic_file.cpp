#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "common/fd.hpp"
#include "common/sys_error.hpp"

namespace supd::common {
namespace {

std::string failed(const std::string& what, const std::filesystem::path& p, int err) {
  return what + " " + p.string() + ": " + errno_message(err);
}

}  // namespace

std::string write_file_atomically(const std::filesystem::path& given, std::string_view text, mode_t new_mode) {
  return write_file_atomically(given, [text, done = false]() mutable {
    return std::exchange(done, true) ? std::string_view() : text;
  }, new_mode);
}

std::string write_file_atomically(const std::filesystem::path& given, const std::function<std::string_view()>& next,
                                  mode_t new_mode) {
  std::error_code ec;
  std::filesystem::path file = given;
  if (std::filesystem::is_symlink(given, ec)) {
    file = std::filesystem::canonical(given, ec);
    if (ec) return "cannot resolve the symlink " + given.string() + ": " + ec.message();
  }
  struct stat st {};
  mode_t mode = new_mode;
  if (::stat(file.c_str(), &st) == 0) mode = st.st_mode & 07777;

  const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::string tmp_name = (dir / ("." + file.filename().string() + ".XXXXXX")).string();
  UniqueFd fd(::mkstemp(tmp_name.data()));
  if (!fd) return failed("cannot create a temporary file in", dir, errno);
  const std::filesystem::path tmp(tmp_name);
  const auto give_up = [&](const std::string& why) {
    ::unlink(tmp.c_str());
    return why;
  };
  if (::fchmod(fd.get(), mode) != 0) return give_up(failed("cannot chmod", tmp, errno));
  for (std::string_view text = next(); !text.empty(); text = next()) {
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return give_up(failed("cannot write", tmp, errno));
      done += static_cast<std::size_t>(n);
    }
  }
  if (::fsync(fd.get()) != 0) return give_up(failed("cannot fsync", tmp, errno));
  fd.reset();
  if (::rename(tmp.c_str(), file.c_str()) != 0) return give_up(failed("cannot rename onto", file, errno));
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) ::fsync(dfd.get());  // the rename itself survives a crash
  return {};
}

}  // namespace supd::common
