#include "daemon/process/side_run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "common/fd.hpp"
#include "common/sys_error.hpp"

extern char** environ;

namespace supd::daemon {
namespace {

// One run's state, kept alive by the callbacks that still need it.
struct Run : std::enable_shared_from_this<Run> {
  Run(asio::io_context& context, std::size_t bound, std::function<void(SideRunResult)> then)
      : out(context), timer(context), max_output(bound), done(std::move(then)) {}
  asio::posix::stream_descriptor out;
  asio::steady_timer timer;
  std::size_t max_output;
  std::function<void(SideRunResult)> done;
  pid_t pid = 0;
  SideRunResult result;
  std::optional<common::ExitStatus> exit;
  bool output_done = false;
  bool finished = false;
  char chunk[1024]{};

  void read_more() {
    out.async_read_some(asio::buffer(chunk), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      if (self->output_done) return;
      if (ec) return self->output_ended();  // EOF: every writer has gone
      const std::size_t room = self->max_output - std::min(self->max_output, self->result.output.size());
      self->result.output.append(self->chunk, std::min(n, room));
      self->read_more();
    });
  }
  void output_ended() {
    output_done = true;
    std::error_code ec;
    out.close(ec);
    finish_if_done();
  }
  void finish_if_done() {
    if (finished || !output_done || !exit) return;
    finished = true;
    timer.cancel();
    result.status = *exit;
    done(std::move(result));
  }
};

std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (!extra.contains(name)) env.push_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

}  // namespace

pid_t side_run(asio::io_context& io, SideChildren& children, const SideRunSpec& spec,
               std::function<void(SideRunResult)> done) {
  auto run = std::make_shared<Run>(io, spec.max_output, std::move(done));
  const auto fail = [&](std::string why) {
    run->result.started = false;
    run->result.output = std::move(why);
    run->result.status = common::ExitStatus::exited(127);
    asio::post(io, [run] { run->done(std::move(run->result)); });
    return pid_t{0};
  };
  if (spec.argv.empty()) return fail("no command");
  common::Pipe pipe;
  try {
    pipe = common::make_pipe();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, pipe.write.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, pipe.write.get(), 2);
  if (!spec.directory.empty()) ::posix_spawn_file_actions_addchdir_np(&actions, spec.directory.c_str());
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  ::posix_spawnattr_setpgroup(&attr, 0);  // its own group: the timeout kills what it started too
  sigset_t none, all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &none);  // supd blocks signals it handles; the child must not
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> args = spec.argv, env = environment_with(spec.environment);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  pipe.write.reset();
  if (rc != 0) return fail(fmt::format("cannot run {}: {}", spec.argv.front(), common::errno_message(rc)));
  run->pid = pid;
  children.watch(pid, [run](const common::ExitStatus& status) {
    run->exit = status;
    run->finish_if_done();
  });
  std::error_code ec;
  run->out.assign(pipe.read.release(), ec);
  if (ec) run->output_done = true;
  else run->read_more();
  run->timer.expires_after(spec.timeout);
  run->timer.async_wait([run](std::error_code wait_ec) {
    if (wait_ec || run->exit) return;
    ::kill(-run->pid, SIGKILL);  // the group: what it started goes too
    run->result.timed_out = true;
    run->output_ended();  // a grandchild may hold the pipe: the exit decides now
  });
  return pid;
}

void end_side_run(pid_t pid) {
  if (pid <= 0) return;
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace supd::daemon
