// A second user for tests that need one (run as root): made with useradd when the guard is
// made, removed with userdel when it goes, also when the test fails.
#pragma once
#include <string>

#include <sys/types.h>
#include <unistd.h>

#include "tests/support/files.hpp"

namespace supd::test {

inline bool is_root() { return ::geteuid() == 0; }

class TempUser {
public:
  // The name is "supdt<pid><suffix>": a test that needs two users gives each its suffix.
  explicit TempUser(const std::string& suffix = "");
  ~TempUser();
  TempUser(const TempUser&) = delete;
  TempUser& operator=(const TempUser&) = delete;

  const std::string& name() const { return name_; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }
  // How supd's and supctl's messages name it.
  std::string described() const { return name_ + " (uid " + std::to_string(uid_) + ")"; }
  // `path` (not followed when a link) now belongs to this user.
  void owns(const fs::path& path) const;

private:
  std::string name_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace supd::test
