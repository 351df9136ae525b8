#include "tests/support/temp_user.hpp"

#include <pwd.h>

#include <catch2/catch.hpp>

#include "tests/support/process.hpp"

namespace supd::test {

namespace {
const std::vector<std::string> kSbinPath{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
}

TempUser::TempUser(const std::string& suffix) : name_("supdt" + std::to_string(::getpid() % 100000) + suffix) {
  (void)run_process({"/usr/sbin/userdel", name_}, kSbinPath, 30s);  // a leftover of a killed run
  // A system user with no home and no group of its own.
  const auto r = run_process({"/usr/sbin/useradd", "-M", "-N", "-r", "-s", "/usr/sbin/nologin", name_}, kSbinPath, 30s);
  INFO("useradd " << name_ << ": " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const passwd* pw = ::getpwnam(name_.c_str());
  REQUIRE(pw != nullptr);
  uid_ = pw->pw_uid;
  gid_ = pw->pw_gid;
}

TempUser::~TempUser() { (void)run_process({"/usr/sbin/userdel", name_}, kSbinPath, 30s); }

void TempUser::owns(const fs::path& path) const { REQUIRE(::lchown(path.c_str(), uid_, gid_) == 0); }

}  // namespace supd::test
