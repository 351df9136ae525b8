// supd: flags, --check, --detach, then the event loop. Start-up errors are one line and exit 1.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "common/paths.hpp"
#include "common/runtime_dir.hpp"
#include "common/sys_error.hpp"
#include "config/load.hpp"
#include "daemon/continuity/adoption.hpp"
#include "daemon/process/cgroup_sweep.hpp"
#include "daemon/control/control_server.hpp"
#include "daemon/control/control_socket.hpp"
#include "daemon/daemonize.hpp"
#include "daemon/event_loop.hpp"
#include "daemon/continuity/fd_holder.hpp"
#include "daemon/process/fd_limit.hpp"
#include "daemon/continuity/fd_store.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/output/log_dir.hpp"
#include "daemon/process/cgroup.hpp"
#include "daemon/control/instance_lock.hpp"
#include "daemon/output/nonblocking_sink.hpp"
#include "daemon/control/notify.hpp"
#include "daemon/output/output.hpp"
#include "daemon/proc_title.hpp"
#include "daemon/process/process.hpp"
#include "daemon/control/reloader.hpp"
#include "daemon/control/ready_listener.hpp"
#include "daemon/core/supervisor.hpp"
#include "daemon/continuity/upgrade.hpp"
#include "daemon/control/health_checker.hpp"
#include "daemon/process/http_probe.hpp"

namespace {

using namespace supd;

struct Options {
  common::PathFlags paths;
  bool detach = false;
  bool check = false;
  // A config writable by group/others (or owned by another user) is refused, root included;
  // this flag is the explicit opt-out. A reload must pass the same ModeCheck.
  bool allow_insecure_config = false;
  std::vector<std::string> argv;  // as given: `upgrade` execs the same command line
};

// Pipes and sockets must never land on 0-2 and then be clobbered by a child's dup2.
void ensure_standard_fds() {
  for (int fd = 0; fd < 3; ++fd)
    if (::fcntl(fd, F_GETFD) < 0) ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

config::LoadResult load(const common::Paths& paths, const Options& opt) {
  if (!paths.config_explicit && !std::filesystem::exists(paths.config)) {
    config::LoadResult empty;
    empty.config = config::Config{};
    return empty;
  }
  return config::load_config(paths.config, common::system_getenv,
                             opt.allow_insecure_config ? config::ModeCheck::Allow : config::ModeCheck::Refuse);
}

// The listening socket: the one systemd passed (supd.socket), else our own, bound here.
daemon::ControlSocket open_control_socket(const common::Paths& paths, const std::vector<int>& listen_fds) {
  if (listen_fds.size() > 1)
    throw daemon::StartupError(fmt::format("systemd passed {} sockets; supd.socket must have exactly one ListenStream",
                                           listen_fds.size()));
  if (listen_fds.empty()) return daemon::claim_control_socket(paths.socket, paths.socket_dir_is_default);
  auto socket = daemon::adopt_control_socket(listen_fds.front());
  if (socket.path != paths.socket)
    spdlog::warn("systemd's socket is {}, not {}; supctl needs --socket {}", socket.path.string(),
                 paths.socket.string(), socket.path.string());
  return socket;
}

// Where the jobs' output pipes wait while no supd reads them: systemd's fd store under
// systemd (with what it passed back after a crash, or what an upgrade's exec carried), else
// our own fd holder process.
std::unique_ptr<daemon::PipeKeeper> make_pipe_keeper(daemon::Notifier& notifier, const std::filesystem::path& socket,
                                                     std::vector<std::pair<std::string, int>> stored,
                                                     const std::optional<daemon::Handover>& handover) {
  if (!notifier.enabled()) return std::make_unique<daemon::FdHolder>(daemon::fd_holder_path_for(socket));
  return std::make_unique<daemon::FdStore>(notifier, daemon::fd_store_dir_for(socket), std::move(stored),
                                           handover ? handover->pipes : std::vector<daemon::HandedPipe>{});
}

int run(Options opt) {
  // Set only when `supctl upgrade` exec'd us: the old supd's socket, lock and client.
  const auto handover = daemon::take_handover();
  if (handover) opt.detach = false;  // detached already, and the same pid must stay
  // Read once and removed from our environment, so no job or helper inherits them.
  auto systemd = daemon::take_systemd_environment();
  if (opt.detach) systemd = {};  // the detached daemon is not the process systemd started
  const auto paths = common::resolve_paths(opt.paths);
  auto loaded = load(paths, opt);
  if (!loaded.errors.empty()) {
    for (const auto& e : loaded.errors) std::cerr << config::to_string(e) << '\n';
    if (!opt.check)
      std::cerr << "supd: the config has " << loaded.errors.size()
                << " error(s); fix them and start again (supd --check validates without starting)\n";
    return 1;
  }
  // On the terminal, at --check and at a start by hand: a job that will fail is no surprise.
  for (const auto& w : loaded.warnings) std::cerr << config::to_string(w) << '\n';
  auto config = std::move(*loaded.config);
  if (opt.check) {
    std::cout << paths.config.string() << ": ok, " << config.jobs.size() << " job(s)\n";
    return 0;
  }
  // Checked before anything is created there: a socket dir under another user's
  // XDG_RUNTIME_DIR (su without -) fails later with a path and EACCES that say nothing of why.
  if (!handover && systemd.listen_fds.empty() && paths.socket_dir_is_default)
    if (const auto why = common::foreign_runtime_dir(common::system_getenv, ::geteuid())) {
      std::cerr << "supd: " << *why << '\n';
      return 1;
    }
  const auto log_dir = paths.log_dir_explicit || !config.supd.log_dir ? paths.log_dir : *config.supd.log_dir;
  std::string start_cwd;
  if (char buf[4096]; ::getcwd(buf, sizeof buf) != nullptr) start_cwd = buf;
  // Every path is absolute now: back to where the old supd was (/ when detached).
  if (handover && !handover->cwd.empty() && ::chdir(handover->cwd.c_str()) != 0)
    spdlog::warn("cannot return to {} after the upgrade", handover->cwd);

  // Said on the terminal, before --detach leaves it: supd.log is not where a newcomer looks.
  if (!handover && !paths.config_explicit && !std::filesystem::exists(paths.config))
    std::cerr << "supd: no config at " << paths.config.string()
              << "; running with no jobs. Write your jobs there (every key is explained in examples/supd.toml), "
                 "then run: supctl reload\n";
  common::UniqueFd ready;
  if (opt.detach) ready = daemon::detach(paths.state_dir / "supd.log");
  // A reader of stderr that went away must not kill us, and one that does not read must not
  // stop us: the sink never blocks (docs/design-decisions.md).
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill us either
  const auto log_sink = daemon::install_stderr_logger(common::system_getenv("JOURNAL_STREAM").has_value());
  if (!opt.detach && ::isatty(STDERR_FILENO))  // closing that terminal must not silence supd
    log_sink->divert_on_hangup([log = paths.state_dir / "supd.log", dir = paths.state_dir] {
      try {
        daemon::make_private_dirs(dir);
      } catch (const std::exception&) {
        return common::UniqueFd();
      }
      return common::UniqueFd(::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    });
  try {
    daemon::prepare_log_dir(log_dir);  // refused (one line, exit 1) if others could plant files in it
    const daemon::InstanceLock instance(log_dir);  // one supd on these files, whatever its socket
    daemon::ControlSocket socket;
    if (handover) {  // the old supd's listening socket, and its lock taken anew
      ::close(handover->lock_fd);
      socket = daemon::adopt_control_socket(handover->listen_fd);
      socket.adopted = handover->socket_from_systemd;
    } else {
      socket = open_control_socket(paths, systemd.listen_fds);
    }
    // Declared after the socket (and its lock): a start refused from here on, and the exit,
    // remove the socket file while the lock still says no other supd uses it.
    const daemon::SocketFileRemover socket_file(socket);
    instance.record(socket.path);  // where a supctl that resolved another socket finds us
    const int listen_fd = socket.listen_fd.get();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);  // orphans of our jobs are reaped here, not by init
    // 1000 jobs hold a few thousand fds (pipes, pidfds, log files): take the hard limit;
    // the jobs get the limit supd started with back.
    daemon::raise_fd_limit(handover ? handover->nofile_soft : std::nullopt);
    // Each job in its own cgroup where a subtree is ours to write; supd moves itself into a leaf
    // first, before anything of its own (the fd holder) is started. Said once when it cannot.
    // A controller that is missing is said when a job's limit needs it (one event per job).
    std::string no_cgroups;
    const auto cgroups = daemon::Cgroups::set_up(daemon::cgroup_key(log_dir), no_cgroups);
    if (!cgroups)
      spdlog::info("jobs are tracked by process group only (a daemon that calls setsid escapes a stop): {}",
                   no_cgroups);
    const daemon::CgroupRelease release_cgroups(cgroups ? &*cgroups : nullptr);  // at any exit

    if (!paths.config_explicit && !std::filesystem::exists(paths.config))
      spdlog::warn("no config at {}; running with no jobs", paths.config.string());
    asio::io_context io(1);
    daemon::SinkWatch log_watch(log_sink, io);  // a lagging reader of stderr is caught up from the loop
    daemon::Notifier notifier(io, systemd);
    // What keeps the jobs' output pipes while supd execs or dies: systemd's fd store, or our
    // own fd holder process. Told of every pipe output capture takes in and closes.
    const auto keeper = make_pipe_keeper(notifier, socket.path, std::move(systemd.stored_fds), handover);
    daemon::OutputCapture output(
        io, log_dir,
        {[&keeper](const std::string& job, const std::filesystem::path& log, int fd) { keeper->opened(job, log, fd); },
         [&keeper](int fd) { keeper->closed(fd); }});
    daemon::PosixProcessOps ops;
    if (cgroups) ops.use_cgroups(&*cgroups);
    daemon::Supervisor sup(ops, output, std::move(config), log_dir);
    daemon::EventLoop loop(io, sup, output, notifier);  // catches SIGCHLD before any spawn
    ops.use_reaper(&loop.reaper());
    // Everything below reports to the loop; the loop gets what it calls back in start().
    daemon::Reloader reloader(io, loop, sup, notifier, paths.config, paths.config_explicit,
                              opt.allow_insecure_config ? config::ModeCheck::Allow : config::ModeCheck::Refuse);
    daemon::Handlers handlers(sup, &output, &reloader);
    daemon::ControlServer server(io, socket.listen_fd.release(), handlers, loop);
    server.start();
    // Jobs a previous supd left running are adopted before any autostart could start them twice,
    // and the output pipes its fd holder kept are read again.
    daemon::Adoption adoption(io, sup, loop, daemon::records_dir_for(socket.path));
    // ready = "notify" jobs' NOTIFY_SOCKETs, in a 0700 directory beside the control socket.
    daemon::ReadyListener ready_listener(io, sup, loop, daemon::notify_dir_for(socket.path));
    // [jobs.NAME.health] checks, beside the loop; the http one runs this very binary.
    daemon::HealthChecker health_checker(io, loop.side_children(), loop, sup, "/proc/self/exe");
    if (handover)  // children that exited while we exec'd: their SIGCHLD went to the old image
      loop.sweep_children();
    const auto adopted = adoption.adopt_from_records(daemon::Clock::now());
    if (cgroups && !handover) daemon::kill_unowned_leftovers(*cgroups, sup);  // what a killed supd's jobs left
    auto kept_pipes = keeper->take_all();
    if (notifier.enabled())  // left by a `shutdown --leave-running` under systemd
      for (auto& p : daemon::take_from_holder(daemon::fd_holder_path_for(socket.path))) kept_pipes.push_back(std::move(p));
    adoption.reattach(std::move(kept_pipes), output);
    daemon::Upgrader upgrader(io, loop.side_children(), loop, handlers, sup, output, adoption, *keeper,
                              {opt.argv, handover ? handover->start_cwd : start_cwd, listen_fd, socket.lock_fd.get(),
                               socket.adopted, paths.config.string(), systemd});

    spdlog::info("supd {} listening on {}{}; config {}; logs in {}", SUPD_VERSION, socket.path.string(),
                 socket.adopted ? " (socket from systemd)" : "", paths.config.string(), log_dir.string());
    daemon::apply_handover_and_autostart(sup, handover, daemon::Clock::now());  // spawns queued
    // The first batch before the socket is served: a small config is all spawned by then.
    daemon::EventLoop::spawn_a_turn(sup);
    if (handover) daemon::answer_upgrade_client(*handover, adopted);
    loop.start({handlers, reloader, server,
                [&adoption](daemon::TimePoint now) { adoption.sync(now); },
                [&upgrader](daemon::TimePoint now) { upgrader.step(now); },
                [&log_watch, &ready_listener] {  // a wait for a writable stderr, the notify sockets' reads
                  log_watch.stop();
                  ready_listener.close_all();
                }});
    loop.spawn_queued([&] {  // the rest a batch per loop turn, the socket answered between
      daemon::report_ready(ready);
      notifier.ready(sup.summary());  // READY=1: the socket listens and autostart jobs were launched
    });
    io.run();
    if (sup.leaving_running()) {  // the pipes stay kept for the next supd
      if (notifier.enabled()) daemon::hand_to_holder(daemon::fd_holder_path_for(socket.path), keeper->take_all());
      keeper->disconnect();
    } else {
      keeper->quit();  // every job is stopped: nothing of supd's outlives `supctl shutdown`
      if (notifier.enabled()) daemon::kill_rest_of_service_cgroup();  // what left the jobs' groups
      if (cgroups) cgroups->kill_all_jobs();
    }
    spdlog::info("supd exited cleanly");
    return 0;
  } catch (const std::exception& e) {
    if (opt.detach) spdlog::error("{}", e.what());  // into supd.log; the launcher prints it too
    else std::cerr << "supd: " << e.what() << '\n';
    daemon::report_failure(ready, e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ensure_standard_fds();
  // The http health check, run by supd itself as a short-lived child (daemon/control/health_checker.hpp):
  // not a user's flag, so not in --help.
  if (argc == 4 && std::string_view(argv[1]) == "--probe-http") {
    ::prctl(PR_SET_NAME, "supd-probe");  // what `ps` shows of it
    return supd::daemon::http_probe(argv[2], std::chrono::milliseconds(std::atol(argv[3])), std::cout);
  }
  supd::daemon::remember_argv(argc, argv);  // the fd holder's title overwrites them in its own copy
  Options opt;
  CLI::App app{"supd: a process supervisor, nohup done right"};
  app.set_version_flag("--version", SUPD_VERSION);
  std::string config, socket, log_dir;
  app.add_option("--config", config, "config file (default $XDG_CONFIG_HOME/supd/supd.toml; env SUPD_CONFIG)");
  app.add_option("--socket", socket, "control socket (default $XDG_RUNTIME_DIR/supd/supd.sock; env SUPD_SOCKET)");
  app.add_option("--log-dir", log_dir, "job output dir (default $XDG_STATE_HOME/supd/logs; env SUPD_LOG_DIR)");
  app.add_flag("--detach", opt.detach, "leave the terminal; return once the daemon answers");
  app.add_flag("--check", opt.check, "validate the config and exit 0 or 1");
  app.add_flag("--allow-insecure-config", opt.allow_insecure_config,
               "accept a config file that group or others may write (refused by default, even for root)");
  opt.argv.assign(argv, argv + argc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "supd: " << e.what() << "; see: supd --help\n";
    return 2;
  }
  if (!config.empty()) opt.paths.config = config;
  if (!socket.empty()) opt.paths.socket = socket;
  if (!log_dir.empty()) opt.paths.log_dir = log_dir;
  try {
    return run(std::move(opt));
  } catch (const std::exception& e) {
    std::cerr << "supd: " << e.what() << '\n';
    return 1;
  }
}
