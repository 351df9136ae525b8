// Owns the jobs: feeds events into the pure state machine, records the result, and carries the
// actions out through ProcessOps. The only place that calls ProcessOps. Knows nothing of Asio.
#pragma once
#include <array>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/exit_status.hpp"
#include "common/fd.hpp"
#include "common/protocol.hpp"
#include "config/diff.hpp"
#include "config/job_spec.hpp"
#include "daemon/core/dependencies.hpp"
#include "daemon/core/event_log.hpp"
#include "daemon/core/health.hpp"
#include "daemon/core/health_checks.hpp"
#include "daemon/core/schedule.hpp"
#include "daemon/core/exit_cause.hpp"
#include "daemon/core/job_state.hpp"
#include "daemon/core/origin.hpp"
#include "daemon/core/output_sink.hpp"
#include "daemon/core/process_ops.hpp"
#include "daemon/core/ready_channels.hpp"

namespace supd::daemon {

// A job in four parts besides its spec and its state, each named for when it changes.
struct Job {
  config::JobSpec spec;
  JobRuntime rt;  // the pure state machine's part (job_state.hpp)

  // The current run's process and what it said: all set anew at each spawn (and adoption); pid
  // and pidfd go when it is reaped, pgid once its group is empty too.
  struct Process {
    pid_t pid = 0;               // main process while rt.main_alive
    pid_t pgid = 0;              // its process group (= the first pid), kept until the group is empty
    common::UniqueFd pidfd;
    TimePoint started_at{};
    std::string status_text;     // the last STATUS=... a notify job sent (sd_notify)
  } process;

  // What this run went through, which `why` weighs when it is reaped (explain_exit): reset at
  // each spawn, together with `process`.
  struct Evidence {
    std::optional<StopRequest> stop_request = {};
    std::vector<SentSignal> sent = {};  // the last few signals delivered in this run
    std::optional<long> oom_kills_at_spawn = {};
    // OutputSink::bytes_written() of its stdout log at the spawn; kNoMark for a process this
    // supd did not start (adopted): its output began before supd's count did.
    std::uint64_t output_at_spawn = kNoMark;
  } evidence;
  static constexpr std::uint64_t kNoMark = ~std::uint64_t{0};

  // How the last run or spawn attempt ended, for status's LAST-EXIT, `why` and an upgrade's
  // handover: kept across spawns (a spawn clears only `error`), replaced as the next one ends.
  struct PostMortem {
    std::optional<common::ExitStatus> last_exit;
    std::string error;           // the last spawn error, shown while fatal/backoff
    struct Death {               // the verdict on the last run, decided when it was reaped
      common::ExitStatus status;
      pid_t pid = 0;
      common::WallTime at{};
      double uptime_s = 0;
      ExitCause cause;
      // Its output in the stdout log: bytes [output_from, output_to) of OutputSink's count
      // (output_from is kNoMark when unknown), and the directory it ran in.
      std::uint64_t output_from = kNoMark;
      std::uint64_t output_to = 0;
      std::filesystem::path directory;
    };
    std::unique_ptr<Death> last_death;  // null until the first run ended
  } postmortem;

  // The job's life in supd, across all its runs: how many processes it has had, whether a
  // reload is removing it, and where it came from. No spawn or exit resets these. (spawns and
  // removing come first to share one 8-byte slot: grouping the fields did not grow a Job.)
  struct Life {
    int spawns = 0;
    bool removing = false;       // dropped by a reload: stopping, erased once its group is empty
    // The config file (null), or `supctl run`'s request, which `supctl persist` writes into the
    // config file. On the heap, as is last_death: rare and large, an inline optional cost ~400
    // bytes per job with 1000 jobs (docs/design-decisions.md, "supd's memory").
    std::unique_ptr<protocol::Run> run_request;
  } life;

  // Its place among the jobs it depends on and that depend on it (daemon/core/dependencies.hpp).
  struct Order {
    std::optional<StopRequest> stop_queued;  // a requested stop, waiting for its dependents to stop
    bool blocked = false;  // waiting on a dependency that failed or was stopped: a start waiting on it answers
    bool start_after_stop = false;  // started while stopping: started (dependencies first) once down
  } order;
  HealthRuntime health;  // its check's state while it runs (daemon/core/health.hpp)
  std::optional<NextRun> next_run;  // `schedule`/`every`: when supd starts it next
  std::string box_warning;  // what its spawn could not give it (a cgroup limit): one event, not one per start
  // The supervisor's bookkeeping (supervisor_index.cpp): its place in the deadline index, and
  // a spawn queued at start-up and not yet done.
  std::optional<TimePoint> wake_at;
  bool spawn_queued = false;

  bool from_config() const { return !life.run_request; }
  int restarts() const { return life.spawns > 1 ? life.spawns - 1 : 0; }
};

class Supervisor {
public:
  Supervisor(ProcessOps& ops, OutputSink& output, config::Config config, std::filesystem::path log_dir);
  // The process layer, for readers of what jobs' processes use (`stats`): no job state there.
  ProcessOps& process_ops() { return ops_; }

  // Starts the autostart jobs, plan_schedules() too. Their spawns are queued (they are
  // `starting` at once): run_queued_spawns() does them a batch at a time, so supd answers its
  // socket while thousands of jobs spawn.
  void start_autostart_jobs(TimePoint now);
  // While on, start() queues a job's spawn instead of doing it (start-up and an upgrade's handover).
  void queue_spawns(bool on) { queue_spawns_ = on; }
  // Does up to `max` queued spawns (skipping jobs stopped or gone meanwhile); returns how many
  // are still queued.
  std::size_t run_queued_spawns(std::size_t max, TimePoint now);
  // When each `schedule`/`every` job runs next, from now (at start-up, also after an upgrade).
  void plan_schedules(TimePoint now);

  // Requests. Unknown names are the caller's to check (find()).
  void start(const Job& job, const Origin& who, TimePoint now);
  void stop(const Job& job, const Origin& who, TimePoint now);
  void restart(const Job& job, const Origin& who, TimePoint now);
  // 0, or an errno (ESRCH when the job has no process). Never reaches a reaped process.
  int signal(const Job& job, int signo, bool group, const Origin& who);

  // Events from the loop.
  void on_reaped(pid_t pid, const common::ExitStatus& status, TimePoint now);
  void on_deadline(TimePoint now);
  // Forgets process groups that are empty now (and ends stops waiting on them): called after
  // reaping an orphan, and polled for adopted jobs, whose members are not our descendants.
  void on_group_check(TimePoint now);
  void forward(int signo);  // a signal supd received: relayed to jobs that list it
  // READY=1 from a process of the job (the listener checked the sender): starting -> running.
  void on_ready(const Job& job, const Origin& who, TimePoint now);
  // STATUS=... from a process of the job: shown by status until the next run.
  void on_status_text(const Job& job, std::string text) { own(job).process.status_text = std::move(text); }
  // Where ready = "notify" jobs get their NOTIFY_SOCKET (daemon/control/ready_listener.hpp).
  void set_ready_channels(ReadyChannels* channels) { ready_channels_ = channels; }
  // What runs the jobs' health checks (daemon/control/health_checker.hpp); none: no checks run.
  void set_health_checks(HealthChecks* checks) { health_checks_ = checks; }
  // A check of the job's run `run` ended: its health may change, and an unhealthy job restart.
  void on_health_result(std::string_view job, int run, bool passed, std::string output, TimePoint now);

  std::optional<TimePoint> next_deadline() const;

  // ---- at start-up, what a previous supd left (daemon/continuity/). Both go through the
  // state machine and are recorded like any other transition (`supctl events` shows them).
  struct FoundProcess {
    pid_t pid = 0;
    pid_t pgid = 0;
    common::UniqueFd pidfd;  // may be empty: the kernel has no pidfds, or the watch uses /proc
    int spawns = 0;
    TimePoint spawned_at{};
  };
  // The job's live process, found by its record: its main process again.
  void adopt(const Job& job, FoundProcess found, TimePoint now);
  // After `supctl upgrade`: a job with no process comes back as the old supd had it (one in
  // backoff, due to start again, is started now, its counters kept).
  struct Handed {
    JobState state = JobState::Stopped;
    int spawns = 0;
    std::optional<common::ExitStatus> last_exit;
    std::string error;
  };
  void restore(const Job& job, Handed handed, TimePoint now);

  // ---- reload (config/diff.hpp) and ad-hoc jobs
  // The diff from what runs to `next`: config jobs, plus ad-hoc jobs `next` now defines (the
  // config takes those over); other ad-hoc jobs are left out and left alone.
  config::ConfigDiff plan_reload(const config::Config& next) const;
  // Applies a plan_reload(next) result: removed jobs stop and are erased once their group is
  // empty; added autostart jobs start; changes needing a restart restart the job if it has a
  // process or a pending restart; everything else is applied in place. [supd] settings are not.
  void apply_reload(const config::Config& next, const config::ConfigDiff& diff, TimePoint now);
  // What apply_reload does (or did, asked just before) to each job of `diff`, in its order:
  // the reply says what was applied, not what the diff alone suggests (a fatal job whose
  // command changed is not restarted), and `reload` waits for the jobs it starts.
  enum class ReloadStep { Start, NotStarted, Stop, Restart, NextStart, InPlace, Nothing };
  std::vector<ReloadStep> reload_steps(const config::ConfigDiff& diff, const config::Config& next) const;
  // A new ad-hoc job (not started yet). Any earlier job of that name must be gone (find()).
  const Job& add_run_job(config::JobSpec spec, protocol::Run request);
  // Finished ad-hoc jobs (no process, stopped/exited/fatal with no retry pending) stay for
  // `status`, `logs` and `why` until there are more than this many; then the ones started
  // first are forgotten (their events too). A constant; tests set a small one.
  static constexpr std::size_t kRunHistory = 100;
  void set_run_history(std::size_t finished_kept) { run_history_ = finished_kept; }
  void erase_job(std::string_view name);  // an idle job, at once
  // `supctl remove`: an ad-hoc job is stopped as `stop` does and forgotten (its events too)
  // once its process group is empty; at once when it has no process. `held` may be erased.
  void remove_run_job(const Job& held, const Origin& who, TimePoint now);
  // `persist` wrote the job into the config file: it is a config job from now on.
  void adopt_into_config(const Job& job, const config::JobSpec& spec);
  const config::DaemonSettings& settings() const { return config_.supd; }

  void begin_shutdown(TimePoint now);
  bool shutting_down() const { return shutting_down_; }
  // Some job's main process is gone while its group may live on: an orphan's exit may empty it.
  bool groups_lingering() const { return !lingering_.empty(); }
  bool shutdown_complete() const;
  // `shutdown --leave-running`: supd exits at once, its jobs stay for the next supd to adopt.
  void leave_running() { shutting_down_ = leaving_running_ = true; }
  bool leaving_running() const { return leaving_running_; }

  // Read-only: a job changes only through the requests and events above, which go through
  // step() and are recorded. A `const Job&` handed back is the supervisor's own, by address.
  const Job* find(std::string_view name) const;
  // Every job's name, for "did you mean" (views into the jobs: valid until they change).
  std::vector<std::string_view> job_names() const;
  const std::vector<Job>& jobs() const { return jobs_; }
  // The jobs whose process changed (spawned, adopted, reaped, group emptied) since the last
  // call: what the job records (daemon/continuity/adoption.hpp) follow, without a walk over all.
  std::vector<std::string> take_process_changes() { return std::exchange(process_changes_, {}); }
  const std::filesystem::path& log_dir() const { return log_dir_; }
  // OutputSink::bytes_written() of the job's stdout log now (why's window onto the last run).
  std::uint64_t output_mark(const Job& job) const;

  protocol::JobStatus status_of(const Job& job, TimePoint now) const;
  // What the dependency rules see of a job (daemon/core/dependencies.hpp): `graph`'s verdicts.
  OrderView order_view(const Job& job) const { return view_of(job); }
  // Seconds until a backoff/fatal job is retried; nullopt when nothing is pending.
  static std::optional<double> next_try_s(const Job& job, TimePoint now);

  // The event history (transitions, signals, exits, spawns, config changes).
  EventLog& events() { return events_; }
  // For other parts of supd (reload: "config" events; the loop: signals received): job null
  // means an event about supd itself.
  void record(const Job* job, std::string kind, std::string text, const Origin& who = Origin::supd());
  std::string summary() const;  // "3 running, 1 fatal"

private:
  ReloadStep reload_step(const config::JobDiff& d, const config::JobSpec* spec, const Job* job) const;
  void feed(Job& job, const JobEvent& event, TimePoint now, const Origin& who);
  void execute(Job& job, const JobAction& action, TimePoint now, const Origin& who);
  void do_spawn(Job& job, TimePoint now, const Origin& who);
  // ---- order (supervisor_order.cpp): dependencies at start, dependents first at stop
  OrderView view_of(const Job& job) const;
  Job* own_find(std::string_view name);
  StartVerdict verdict_for(const Job& job);  // may it start now, or what does it wait for
  void start_ordered(Job& job, const Origin& who, TimePoint now, std::size_t depth);
  void queue_stop(Job& job, const StopRequest& request);
  void stop_now(Job& job, TimePoint now, const StopRequest& request);
  // Starts waiting jobs whose dependencies hold and stops queued ones whose dependents are
  // down, until nothing changes; after every event while any job has an order.
  void settle_order(TimePoint now);
  void note_order();  // has_order_ from the jobs' specs
  // ---- time (supervisor_time.cpp): health checks, schedules, ready = "listen" polls
  void health_follows_state(Job& job, JobState before, TimePoint now);
  void run_due(TimePoint now);       // checks and scheduled starts whose time has come
  void plan_schedule(Job& job, TimePoint now);
  bool listening(Job& job);          // ready = "listen": one of its processes listens
  void prune_removed();  // erases removed jobs whose process group is empty
  // ---- indexes (supervisor_index.cpp): an event looks up its job, and the next deadline, without
  // a walk over every job; jobs_ changing shape (a job added or erased) rebuilds them.
  void reindex();
  void index_appended();           // after a push_back onto jobs_
  void index_deadline(Job& job);   // after anything that may move the job's next deadline
  Job* mutable_find(std::string_view name);  // removing ones too
  std::size_t index_of(const Job& job) const { return static_cast<std::size_t>(&job - jobs_.data()); }
  static bool busy(const Job& job) { return job.rt.main_alive || !is_idle(job.rt.state); }
  void run_due(Job& job, TimePoint now);  // its check or scheduled start, when their time has come
  void forget_finished_runs();  // beyond run_history_ finished ad-hoc jobs, the oldest go
  Job& own(const Job& job) { return jobs_[static_cast<std::size_t>(&job - jobs_.data())]; }
  int deliver(Job& job, int signo, bool group, const Origin& who, std::string_view why = {});

  ProcessOps& ops_;
  OutputSink& output_;
  ReadyChannels* ready_channels_ = nullptr;
  HealthChecks* health_checks_ = nullptr;
  config::Config config_;
  std::filesystem::path log_dir_;
  std::vector<Job> jobs_;  // grows and shrinks on reload/run: nobody keeps a Job* across events
  EventLog events_;
  OrderView scratch_;       // the view start_verdict() is handed, one dependency at a time
  bool has_order_ = false;  // some job depends on another: settle_order() has work
  bool ordering_ = false;   // inside settle_order(): feed() does not re-enter it
  bool order_queued_ = false;  // some job may hold a queued stop or a start after its stop
  bool shutting_down_ = false;
  bool leaving_running_ = false;
  std::size_t run_history_ = kRunHistory;

  struct NameHash {  // lookups by string_view without building a std::string
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> by_name_;  // index in jobs_
  std::unordered_map<pid_t, std::size_t> by_pid_;           // main processes alive
  std::set<std::pair<TimePoint, std::size_t>> wakes_;       // each job's earliest deadline
  std::unordered_set<std::size_t> lingering_;               // main process gone, group maybe not
  std::array<int, 8> counts_{};                             // jobs by JobState
  std::size_t busy_ = 0;                                    // jobs with a process or not idle
  bool any_removing_ = false;                               // prune_removed() has work
  std::size_t ad_hoc_ = 0;                                  // at least the ad-hoc jobs there are
  bool queue_spawns_ = false;
  std::deque<std::string> spawn_queue_;
  std::vector<std::string> process_changes_;
};

}  // namespace supd::daemon
