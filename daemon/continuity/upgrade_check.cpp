#include "daemon/continuity/upgrade_check.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "common/fd.hpp"
#include "common/sys_error.hpp"

extern char** environ;

namespace supd::daemon {
namespace {
constexpr auto kCheckTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxText = 4096;  // only the first line is reported
}  // namespace

UpgradeCheck::UpgradeCheck(asio::io_context& io, SideChildren& children, EventHub& hub)
    : io_(io), children_(children), hub_(hub), out_(io), timer_(io) {}

UpgradeCheck::~UpgradeCheck() { cancel(); }

void UpgradeCheck::start(const std::string& binary, const std::string& config) {
  ++generation_;
  binary_ = binary;
  text_.clear();
  output_done_ = timed_out_ = false;
  exit_.reset();
  result_.reset();
  pid_ = 0;
  common::Pipe out;
  try {
    out = common::make_pipe();
  } catch (const std::exception& e) {
    result_ = e.what();
    return;
  }
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, out.write.get(), 2);
  std::vector<std::string> args{binary};
  with_config_ = !config.empty() && ::access(config.c_str(), F_OK) == 0;
  if (with_config_) args.insert(args.end(), {"--check", "--config", config});
  else args.push_back("--version");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  out.write.reset();
  if (rc != 0) {
    result_ = fmt::format("cannot run {}: {}", binary, common::errno_message(rc));
    return;
  }
  pid_ = pid;
  children_.watch(pid, [this, generation = generation_](const common::ExitStatus& status) {
    if (generation == generation_) exited(status);
  });
  std::error_code ec;
  out_.assign(out.read.release(), ec);
  if (ec) output_done_ = true;  // cannot happen with a fresh pipe; then only the exit counts
  else read_more();
  timer_.expires_after(kCheckTimeout);
  timer_.async_wait([this, generation = generation_](std::error_code wait_ec) {
    if (wait_ec || generation != generation_ || exit_) return;
    ::kill(pid_, SIGKILL);
    timed_out_ = true;
    text_ = "timed out";
    output_ended();  // a grandchild may hold the pipe: the exit decides now
  });
}

void UpgradeCheck::read_more() {
  out_.async_read_some(asio::buffer(chunk_), [this, generation = generation_](std::error_code ec, std::size_t n) {
    if (generation != generation_ || output_done_) return;
    if (ec) return output_ended();  // EOF: every writer has gone
    if (text_.size() < kMaxText) text_.append(chunk_, n);
    read_more();
  });
}

void UpgradeCheck::output_ended() {
  output_done_ = true;
  std::error_code ec;
  out_.close(ec);
  finish_if_done();
}

void UpgradeCheck::exited(const common::ExitStatus& status) {
  exit_ = status;
  finish_if_done();
}

void UpgradeCheck::finish_if_done() {
  if (!output_done_ || !exit_ || result_) return;
  timer_.cancel();
  const auto& status = *exit_;
  if (!timed_out_ && !status.signaled && !status.unknown && status.code == 0) {
    result_ = "";
  } else {
    const auto first = text_.substr(0, text_.find('\n'));
    result_ = fmt::format("{} {} failed ({}){}{}", binary_, with_config_ ? "--check" : "--version",
                          common::describe(status), first.empty() ? "" : ": ", first);
  }
  // Called from the loop's reaper or a read: the upgrade goes on after this event, not inside it.
  asio::post(io_, [this, generation = generation_] {
    if (generation == generation_) hub_.changed();
  });
}

void UpgradeCheck::cancel() {
  if (running()) ::kill(pid_, SIGKILL);  // reaped by the loop; its callback is ignored now
  ++generation_;
  std::error_code ec;
  timer_.cancel();
  out_.close(ec);
  pid_ = 0;
  result_.reset();
}

}  // namespace supd::daemon
