#include "ctl/top.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <clocale>
#include <csignal>
#include <memory>

#include <fmt/format.h>

#include "ctl/exit_codes.hpp"
#include "ctl/render.hpp"
#include "ctl/session.hpp"
#include "ctl/top_view.hpp"

// Last, and without its function-like macros (clear(), erase(), ...), which would rewrite
// every .clear() and .erase() after it: the w* functions are called by name instead.
#define NCURSES_NOMACROS
#include <curses.h>

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kRefresh = 1s;          // the view is redrawn from fresh answers this often
constexpr auto kEventCoalesce = 100ms;  // a burst of events costs one fetch per this, not one each
constexpr auto kRetry = 5s;            // a supd that could not be reached is tried again after this

volatile std::sig_atomic_t g_quit = 0;
extern "C" void on_quit_signal(int) { g_quit = 1; }

// One supd watched: asked for status and stats on `ask`, its events followed on `watch`.
struct Feed {
  std::unique_ptr<Session> own;  // a --host's own session, when there are several
  Session* session = nullptr;
  std::optional<Client> ask;
  std::optional<Client> watch;
  Clock::time_point retry_at{};
};

template <class Reply>
std::optional<Reply> typed(const ctl::Reply& reply) {
  const auto* body = std::get_if<nlohmann::json>(&reply.response.body);
  return body != nullptr ? Reply::from_json(*body) : std::nullopt;
}

// Status, then stats with each job's last line; throws ClientFailure. An older supd without
// `stats` still gives its status.
void fetch(Feed& feed, TopSection& section) {
  auto& ask = *feed.ask;
  const auto status = ask.call(proto::Status{}, feed.session->limits.request);
  if (const auto* error = std::get_if<proto::Error>(&status.response.body)) {
    section.error = error_text(*error);
    section.jobs.clear();
    return;
  }
  auto jobs = typed<proto::Status::Reply>(status);
  if (!jobs) throw ClientFailure(ClientFailure::Kind::BadReply, "supd sent a status result supctl cannot read");
  proto::Stats stats_request;
  stats_request.last_line = true;
  const auto stats = typed<proto::Stats::Reply>(ask.call(stats_request, feed.session->limits.request));
  section.jobs = join_jobs(std::move(jobs->jobs), stats ? stats->jobs : std::vector<proto::JobStats>{});
  section.supd = stats ? stats->supd : std::nullopt;
  section.error.clear();
}

// Connects what is not connected (a failed supd at most every kRetry), then fetches. A supd
// that fails leaves its section with the reason.
void refresh(Feed& feed, TopSection& section) {
  if (!feed.ask && Clock::now() < feed.retry_at) return;
  try {
    if (!feed.ask) feed.ask.emplace(feed.session->connect(false));
    fetch(feed, section);
    if (!feed.watch) {
      feed.watch.emplace(feed.session->connect(false));
      proto::Events follow;
      follow.follow = true;
      follow.limit = 0;
      feed.watch->call(follow, feed.session->limits.request);
    }
  } catch (const ClientFailure& e) {
    section.error = one_line(e.what());
    section.jobs.clear();
    feed.ask.reset();
    feed.watch.reset();
    feed.retry_at = Clock::now() + kRetry;
  }
}

std::vector<Feed> feeds_for(Session& session) {
  std::vector<Feed> feeds;
  if (session.hosts.empty()) {
    feeds.push_back({nullptr, &session, std::nullopt, std::nullopt, {}});
    return feeds;
  }
  for (const auto& host : session.hosts) {
    auto own = std::make_unique<Session>(session.cli, session.out, session.err, session.env, host);
    Session* s = own.get();
    feeds.push_back({std::move(own), s, std::nullopt, std::nullopt, {}});
  }
  return feeds;
}

std::vector<TopSection> sections_for(const std::vector<Feed>& feeds) {
  std::vector<TopSection> sections(feeds.size());
  for (std::size_t i = 0; i < feeds.size(); ++i) sections[i].host = feeds[i].session->host.value_or("");
  return sections;
}

// `top --once`, or not on a terminal: one snapshot. One supd that fails is reported as
// `status` reports it; of several, each failed one gets its line and the worst code is kept.
int snapshot(Session& session) {
  auto feeds = feeds_for(session);
  TopModel model;
  model.sections = sections_for(feeds);
  int code = kOk;
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    auto& feed = feeds[i];
    try {
      feed.ask.emplace(feed.session->connect(false));
      fetch(feed, model.sections[i]);
      if (!model.sections[i].error.empty()) code = std::max(code, feed.session->fail(kFailed, model.sections[i].error));
    } catch (const ClientFailure& e) {
      if (feeds.size() == 1) throw;
      model.sections[i].error = one_line(e.what());
      const int failed = feed.session->fail(exit_code_for(e, false), e.what());
      code = code == kUnreachable || failed == kUnreachable ? kUnreachable : std::max(code, failed);
    }
  }
  if (feeds.size() == 1 && !model.sections[0].error.empty()) return code;
  winsize ws{};
  const std::size_t width = ::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
  const int printed = session.print(render_top_snapshot(model, width));
  return printed != kOk ? printed : code;
}

// Columns a line fitted by fit_columns takes: one per character.
std::size_t column_count(const std::string& line) {
  return static_cast<std::size_t>(
      std::count_if(line.begin(), line.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The terminal in curses mode for as long as this lives; the old one back when it ends
// (whatever ends it), and SIGINT/SIGTERM/SIGHUP caught so they end it through the loop.
class Terminal {
public:
  Terminal() {
    std::setlocale(LC_CTYPE, "");  // UTF-8 job output drawn as characters
    screen_ = ::newterm(nullptr, stdout, stdin);
    if (screen_ == nullptr) return;
    ::cbreak();
    ::noecho();
    ::keypad(stdscr, TRUE);
    ::nodelay(stdscr, TRUE);
    ::set_escdelay(25);  // Esc alone closes a prompt at once, not after curses' 1 s
    ::curs_set(0);
    struct sigaction sa {};
    sa.sa_handler = on_quit_signal;  // no SA_RESTART: poll() returns and the loop sees it
    ::sigemptyset(&sa.sa_mask);
    for (std::size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &sa, &old_[i]);
  }
  ~Terminal() {
    if (screen_ == nullptr) return;
    ::endwin();
    ::delscreen(screen_);
    for (std::size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool ok() const { return screen_ != nullptr; }

  std::pair<std::size_t, std::size_t> size() const {
    const int h = ::getmaxy(stdscr), w = ::getmaxx(stdscr);
    return {static_cast<std::size_t>(std::max(w, 0)), static_cast<std::size_t>(std::max(h, 0))};
  }

  void draw(const TopScreen& screen) {
    const auto [width, height] = size();
    ::werase(stdscr);
    for (std::size_t i = 0; i < screen.lines.size() && i < height; ++i) {
      if (screen.highlight != i) {
        ::mvwaddstr(stdscr, static_cast<int>(i), 0, screen.lines[i].c_str());
        continue;
      }
      // The whole row in reverse video, as top and htop mark it.
      const std::size_t used = column_count(screen.lines[i]);
      const std::string row = screen.lines[i] + std::string(width > used ? width - used : 0, ' ');
      ::wattron(stdscr, A_REVERSE);
      ::mvwaddstr(stdscr, static_cast<int>(i), 0, row.c_str());
      ::wattroff(stdscr, A_REVERSE);
    }
    ::wrefresh(stdscr);
  }

private:
  static constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGHUP};
  SCREEN* screen_ = nullptr;
  std::array<struct sigaction, 3> old_{};
};

// What a key is doing when it is typed into a prompt rather than pressed as a command.
enum class Prompt { None, Filter, Signal };

class TopLoop {
public:
  TopLoop(Session& session, Terminal& terminal) : terminal_(terminal), feeds_(feeds_for(session)) {
    model_.sections = sections_for(feeds_);
  }

  int run() {
    fetch_all();
    while (!g_quit && !quit_) {
      draw();
      wait_for_input();
      read_keys();
      read_events();
      if (Clock::now() >= next_fetch_) fetch_all();
    }
    return kOk;
  }

private:
  void draw() {
    const auto [width, height] = terminal_.size();
    TopModel shown = model_;
    if (prompt_ != Prompt::None) shown.message = prompt_label() + typed_ + "_";
    terminal_.draw(render_top(shown, width, height));
  }

  std::string prompt_label() const {
    if (prompt_ == Prompt::Filter) return "filter (Enter: apply, Esc: clear): ";
    return fmt::format("signal {} (a name or number, Enter: send, Esc: cancel): ", target_name());
  }

  // Sleeps until a key, an event or the next refresh, whichever is first.
  void wait_for_input() {
    std::vector<pollfd> fds{{STDIN_FILENO, POLLIN, 0}};
    for (const auto& feed : feeds_)
      if (feed.watch) fds.push_back({feed.watch->fd(), POLLIN, 0});
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(next_fetch_ - Clock::now());
    ::poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(0, left.count())));  // EINTR: a resize or quit
  }

  // Every event that came: a fetch soon (at most one per kEventCoalesce in a burst).
  void read_events() {
    bool any = false;
    for (auto& feed : feeds_) {
      if (!feed.watch) continue;
      try {
        while (feed.watch->next_now()) any = true;
      } catch (const ClientFailure&) {
        feed.watch.reset();  // supd went away: the next fetch says so
        any = true;
      }
    }
    if (any) next_fetch_ = std::min(next_fetch_, std::max(Clock::now(), last_fetch_ + kEventCoalesce));
  }

  void fetch_all() {
    for (std::size_t i = 0; i < feeds_.size(); ++i) refresh(feeds_[i], model_.sections[i]);
    if (model_.pane != TopPane::Jobs) fetch_pane();
    last_fetch_ = Clock::now();
    next_fetch_ = last_fetch_ + kRefresh;
  }

  void read_keys() {
    for (int key; (key = ::wgetch(stdscr)) != ERR;) {
      if (prompt_ != Prompt::None)
        type(key);
      else
        press(key);
    }
  }

  void press(int key) {
    const std::size_t count = visible_jobs(model_).size();
    switch (key) {
    case KEY_UP: {  // from the row shown selected (the selection is kept within the jobs)
      const std::size_t shown = std::min(model_.selected, count > 0 ? count - 1 : 0);
      model_.selected = shown > 0 ? shown - 1 : 0;
      break;
    }
    case KEY_DOWN: model_.selected = count == 0 ? 0 : std::min(model_.selected + 1, count - 1); break;
    case KEY_PPAGE: model_.selected = model_.selected > page() ? model_.selected - page() : 0; break;
    case KEY_NPAGE: model_.selected = count == 0 ? 0 : std::min(model_.selected + page(), count - 1); break;
    case KEY_HOME: model_.selected = 0; break;
    case KEY_END: model_.selected = count == 0 ? 0 : count - 1; break;
    case 's': act("start", {}); break;
    case 'S': act("stop", {}); break;
    case 'r': act("restart", {}); break;
    case 'k': open_prompt(Prompt::Signal, "TERM"); break;
    case 'l': open_pane(TopPane::Log); break;
    case 'e': open_pane(TopPane::Events); break;
    case '/': open_prompt(Prompt::Filter, model_.filter); break;
    case 27:  // Esc
    case KEY_LEFT:
      if (model_.pane != TopPane::Jobs) model_.pane = TopPane::Jobs;
      break;
    case 'q':
      if (model_.pane != TopPane::Jobs)
        model_.pane = TopPane::Jobs;
      else
        quit_ = true;
      break;
    default: break;  // KEY_RESIZE among them: the next draw reads the new size
    }
  }

  void type(int key) {
    if (key == 27) {  // Esc: a filter prompt clears the filter, a signal prompt sends nothing
      if (prompt_ == Prompt::Filter) {
        model_.filter.clear();
        model_.selected = 0;
      }
      prompt_ = Prompt::None;
    } else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
      const auto which = std::exchange(prompt_, Prompt::None);
      if (which == Prompt::Filter) {
        model_.filter = typed_;
        model_.selected = 0;
        model_.message.clear();  // the foot says "filter: ..." now
      } else if (!typed_.empty()) {
        act("signal", {typed_});
      }
    } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
      if (!typed_.empty()) typed_.pop_back();
    } else if (key >= 0x20 && key < 0x7f) {
      typed_ += static_cast<char>(key);
    }
  }

  void open_prompt(Prompt which, std::string start) {
    if (which == Prompt::Signal && !selected_job(model_)) return;
    prompt_ = which;
    typed_ = std::move(start);
  }

  std::size_t page() const { return std::max<std::size_t>(1, terminal_.size().second / 2); }

  std::string target_name() const {
    const auto place = selected_job(model_);
    return place ? model_.sections[place->section].jobs[place->job].status.name : "";
  }

  // The same request the command `supctl NAME JOB [ARGS]` sends (start, stop and restart
  // without waiting: the event stream shows them settle), to the selected job's supd.
  void act(std::string_view name, std::vector<std::string> extra) {
    const auto place = selected_job(model_);
    if (!place) return;
    auto& feed = feeds_[place->section];
    const auto* row = find_subcommand(name);
    std::vector<std::string> args{target_name()};
    args.insert(args.end(), extra.begin(), extra.end());
    SubcommandFlags flags;
    flags.no_wait = true;
    try {
      const auto command = build_command(*row, args, flags);
      if (!feed.ask) throw ClientFailure(ClientFailure::Kind::Unreachable, model_.sections[place->section].error);
      const auto reply = feed.ask->call(command, feed.session->limits.request);
      if (const auto* error = std::get_if<proto::Error>(&reply.response.body)) {
        model_.message = fmt::format("{} {}: {}", name, args.front(), error_text(*error));
      } else {
        const auto text = render_result(command, std::get<nlohmann::json>(reply.response.body));
        const auto shown = text ? text->substr(0, text->find('\n')) : std::string();
        model_.message = shown.empty() ? fmt::format("{} {}: done", name, args.front()) : one_line(shown);
      }
    } catch (const UsageError& e) {
      model_.message = one_line(e.what());
    } catch (const ClientFailure& e) {
      model_.message = fmt::format("{} {}: {}", name, args.front(), one_line(e.what()));
      feed.ask.reset();
    }
    next_fetch_ = Clock::now();
  }

  void open_pane(TopPane pane) {
    if (!selected_job(model_)) return;
    model_.pane = pane;
    pane_job_ = target_name();
    pane_section_ = selected_job(model_)->section;
    fetch_pane();
  }

  // The selected job's last lines of output, or its last events, as many as fit.
  void fetch_pane() {
    auto& feed = feeds_[pane_section_];
    const int rows = static_cast<int>(std::max<std::size_t>(terminal_.size().second, 4) - 3);
    model_.pane_lines.clear();
    try {
      if (!feed.ask) throw ClientFailure(ClientFailure::Kind::Unreachable, model_.sections[pane_section_].error);
      proto::Command command;
      if (model_.pane == TopPane::Log) {
        model_.pane_title = fmt::format("{}: its output (supctl logs {})", pane_job_, pane_job_);
        proto::Logs logs;
        logs.job = pane_job_;
        logs.lines = rows;
        command = logs;
      } else {
        model_.pane_title = fmt::format("{}: its events (supctl events {})", pane_job_, pane_job_);
        proto::Events events;
        events.job = pane_job_;
        events.limit = rows;
        command = events;
      }
      std::string text;
      auto reply = feed.ask->call(command, feed.session->limits.request);
      for (;;) {
        if (const auto* error = std::get_if<proto::Error>(&reply.response.body)) {
          text += error_text(*error) + "\n";
          break;
        }
        const auto& body = std::get<nlohmann::json>(reply.response.body);
        if (const auto piece = render_result(command, body)) text += *piece;
        if (!proto::has_more(body)) break;
        auto next = feed.ask->next(feed.session->limits.request);
        if (!next) throw ClientFailure(ClientFailure::Kind::Unreachable, "supd closed the connection");
        reply = std::move(*next);
      }
      for (std::size_t at = 0; at < text.size();) {
        const auto nl = text.find('\n', at);
        model_.pane_lines.push_back(text.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
        at = nl == std::string::npos ? text.size() : nl + 1;
      }
    } catch (const ClientFailure& e) {
      model_.pane_lines.push_back(one_line(e.what()));
      feed.ask.reset();
    }
  }

  Terminal& terminal_;
  std::vector<Feed> feeds_;
  TopModel model_;
  Prompt prompt_ = Prompt::None;
  std::string typed_;
  std::string pane_job_;
  std::size_t pane_section_ = 0;
  bool quit_ = false;
  Clock::time_point last_fetch_{};
  Clock::time_point next_fetch_{};
};

}  // namespace

int run_top(Session& session) {
  if (session.cli.options.json)
    return session.fail(kUsage, "top has no --json; use supctl --json status and supctl --json stats");
  const auto& flags = session.cli.flags;
  if (flags.once || !::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) return snapshot(session);
  g_quit = 0;
  Terminal terminal;
  if (!terminal.ok()) return snapshot(session);  // TERM unknown to terminfo: what the pipe case prints
  return TopLoop(session, terminal).run();
}

}  // namespace supd::ctl
