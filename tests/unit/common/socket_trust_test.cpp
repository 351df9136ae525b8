// The socket trust rule (R86) from fixed facts: who may own the socket's directory, which
// modes are refused, which servers are trusted, and what the refusal says.
#include <sys/stat.h>

#include <string>

#include <catch2/catch.hpp>

#include "common/socket_trust.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::common;
using Reason = Distrust::Reason;

namespace {

constexpr uid_t kMe = 1000;
constexpr uid_t kOther = 1001;

SocketDirFacts dir(uid_t owner, mode_t mode) { return {owner, S_IFDIR | mode, std::nullopt}; }

using supd::test_unit::has;

}  // namespace

TEST_CASE("socket trust: a directory of mine or root's that only its owner may write is trusted",
          "[socket_trust][R86]") {
  for (const mode_t mode : {0700, 0755, 0711, 0500})
    for (const uid_t owner : {kMe, uid_t{0}}) {
      INFO("owner " << owner << " mode " << mode);
      CHECK_FALSE(judge_socket_dir("/run/user/1000/supd", dir(owner, mode), kMe));
    }
  // A symlink of mine or root's to such a directory (/var/run -> /run) is fine too.
  CHECK_FALSE(judge_socket_dir("/var/run/supd", {0, S_IFDIR | 0755, uid_t{0}}, kMe));
  CHECK_FALSE(judge_socket_dir("/home/me/sock", {kMe, S_IFDIR | 0700, kMe}, kMe));
}

TEST_CASE("socket trust: another user's directory is refused, whatever its mode", "[socket_trust][R86]") {
  for (const mode_t mode : {0700, 0755}) {
    const auto d = judge_socket_dir("/tmp/supd-1000", dir(kOther, mode), kMe);
    REQUIRE(d);
    CHECK(*d == Distrust{Reason::ForeignOwner, "/tmp/supd-1000", kOther, 0});
  }
  // As root, a user's directory is another user's too: root's requests go to root's supd only.
  CHECK(judge_socket_dir("/run/user/1000/supd", dir(kMe, 0700), 0));
}

TEST_CASE("socket trust: group or others may write: refused, sticky or not", "[socket_trust][R86]") {
  for (const mode_t mode : {0770, 0757, 0777, 01777, 01770}) {
    INFO("mode " << mode);
    for (const uid_t owner : {kMe, uid_t{0}}) {
      const auto d = judge_socket_dir("/tmp", dir(owner, mode), kMe);
      REQUIRE(d);
      CHECK(d->reason == Reason::WritableByOthers);
      CHECK(d->mode == mode);
      CHECK(d->owner == owner);
    }
  }
}

TEST_CASE("socket trust: a symlink another user owns is refused, even to a directory of mine",
          "[socket_trust][R86]") {
  const auto d = judge_socket_dir("/tmp/supd-1000", {kMe, S_IFDIR | 0700, kOther}, kMe);
  REQUIRE(d);
  CHECK(*d == Distrust{Reason::ForeignLink, "/tmp/supd-1000", kOther, 0});
}

TEST_CASE("socket trust: a server run by me or by root is trusted, no one else", "[socket_trust][R86]") {
  CHECK(trusted_server(kMe, kMe));
  CHECK(trusted_server(0, kMe));
  CHECK_FALSE(trusted_server(kOther, kMe));
  CHECK(trusted_server(0, 0));
  CHECK_FALSE(trusted_server(kMe, 0));
}

TEST_CASE("socket trust: the refusal names the path and the owner, and says what to do", "[socket_trust][R86]") {
  const auto who = describe_user(kOther);
  CHECK(has(who, "uid 1001"));
  CHECK(describe_user(0) == "root (uid 0)");

  auto text = explain_distrust({Reason::ForeignOwner, "/tmp/supd-1000", kOther, 0});
  CHECK(has(text, "/tmp/supd-1000 is owned by " + who));
  CHECK(has(text, "remove /tmp/supd-1000"));
  CHECK(has(text, "use a socket in a directory of your own"));

  text = explain_distrust({Reason::WritableByOthers, "/home/me/s", kMe, 0775});
  CHECK(has(text, "/home/me/s (owner " + describe_user(kMe) + ")"));
  CHECK(has(text, "mode 0775"));
  CHECK(has(text, "chmod go-w /home/me/s"));

  text = explain_distrust({Reason::WritableByOthers, "/tmp", 0, 01777});
  CHECK(has(text, "/tmp (owner root (uid 0))"));
  CHECK(has(text, "mode 1777"));
  CHECK_FALSE(has(text, "chmod"));  // not the fix for /tmp
  CHECK(has(text, "use a socket in a directory of your own"));

  text = explain_distrust({Reason::ForeignServer, "/x/supd.sock", kOther, 0});
  CHECK(has(text, "the server listening on /x/supd.sock runs as " + who));

  text = explain_distrust({Reason::ForeignLink, "/tmp/supd-1000", kOther, 0});
  CHECK(has(text, "/tmp/supd-1000 is a symlink owned by " + who));

  for (const auto reason : {Reason::ForeignLink, Reason::ForeignOwner, Reason::WritableByOthers, Reason::ForeignServer})
    CHECK(explain_distrust({reason, "/a", kOther, 0777}).find('\n') == std::string::npos);
}
