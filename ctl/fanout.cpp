#include "ctl/fanout.hpp"

#include <functional>
#include <mutex>
#include <sstream>
#include <streambuf>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ctl/exit_codes.hpp"
#include "ctl/render.hpp"
#include "ctl/session.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;
using Ordered = nlohmann::ordered_json;  // documents keep supd's key order

// How the hosts' answers are put together.
enum class Mode {
  Follow,  // logs -f, events -f: each line as it comes, "HOST: " first
  Json,    // one {"hosts": [...]} document
  Table,   // status, stats: one table, HOST first
  Lines,   // "HOST: " before each line, host after host
  Blocks,  // "==> HOST <==" above each host's answer
};

Mode mode_of(const ParsedCli& cli) {
  const bool stream = std::holds_alternative<proto::Logs>(cli.command) || std::holds_alternative<proto::Events>(cli.command);
  if (stream && cli.flags.follow) return Mode::Follow;
  if (cli.options.json) return Mode::Json;
  if (std::holds_alternative<proto::Status>(cli.command) || std::holds_alternative<proto::Stats>(cli.command))
    return Mode::Table;
  return cli.sub->document ? Mode::Blocks : Mode::Lines;
}

// Hands each complete line written to it to `sink`: a follow's lines, merged across hosts
// whole, never mixed within a line.
class LineBuf : public std::streambuf {
public:
  explicit LineBuf(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}
  void finish() {  // a last line without its '\n'
    if (!line_.empty()) sink_(std::exchange(line_, {}));
  }

protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) put(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) put(s[i]);
    return n;
  }

private:
  void put(char c) {
    if (c != '\n') return line_.push_back(c);
    sink_(line_);
    line_.clear();
  }
  std::function<void(std::string_view)> sink_;
  std::string line_;
};

// The real stdout and stderr, written a whole line at a time by every host's thread.
class SharedOut {
public:
  SharedOut(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}
  void out(std::string_view line) { write(out_, line); }
  void err(std::string_view line) { write(err_, line); }

private:
  void write(std::ostream& to, std::string_view line) {
    const std::lock_guard lock(mutex_);
    to << line << '\n';
    to.flush();
  }
  std::mutex mutex_;
  std::ostream& out_;
  std::ostream& err_;
};

std::string error_json(const HostAnswer& a) {
  const Ordered error = {{"code", error_code_for(a)}, {"message", a.failure}};
  return fmt::format(R"({{"host":{},"ok":false,"error":{}}})", Ordered(a.host).dump(), error.dump());
}

// One host's answer as a JSON value: its document, or each of its lines' documents in an array
// (a stream read to its end).
Ordered as_document(std::string_view out) {
  std::vector<Ordered> docs;
  std::size_t at = 0;
  while (at < out.size()) {
    const auto nl = out.find('\n', at);
    const auto line = out.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    if (!line.empty()) docs.push_back(Ordered::parse(line, nullptr, false));
    at = nl == std::string_view::npos ? out.size() : nl + 1;
  }
  if (docs.size() == 1) return docs.front();
  Ordered array = Ordered::array();
  for (auto& d : docs) array.push_back(std::move(d));
  return array;
}

// Follow: every host's lines straight to the real stdout as they come.
std::vector<HostAnswer> follow_all(const ParsedCli& cli, const std::vector<std::string>& hosts, SharedOut& shared,
                                   const common::Getenv& env) {
  std::vector<HostAnswer> answers(hosts.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    threads.emplace_back([&, i] {
      auto& a = answers[i];
      a.host = hosts[i];
      LineBuf out_buf([&](std::string_view line) {
        // --json: each line is one document; it becomes the result of one host entry.
        shared.out(cli.options.json ? fmt::format(R"({{"host":{},"ok":true,"result":{}}})", Ordered(a.host).dump(), line)
                                    : fmt::format("{}: {}", a.host, line));
      });
      LineBuf err_buf([&](std::string_view line) { shared.err(line); });
      std::ostream out(&out_buf), err(&err_buf);
      Session session(cli, out, err, env, a.host);
      a.code = run_session(session);
      out_buf.finish();
      err_buf.finish();
      a.failure = session.failure;
      a.error_code = session.error_code;
      if (a.code != kOk && cli.options.json) shared.out(error_json(a));
    });
  }
  for (auto& t : threads) t.join();
  return answers;
}

// Any other command: each host's answer gathered whole, then printed in host order.
std::vector<HostAnswer> gather_all(const ParsedCli& cli, const std::vector<std::string>& hosts,
                                   const common::Getenv& env, std::vector<std::string>& errors) {
  std::vector<HostAnswer> answers(hosts.size());
  errors.assign(hosts.size(), {});
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    threads.emplace_back([&, i] {
      auto& a = answers[i];
      a.host = hosts[i];
      std::ostringstream out, err;
      Session session(cli, out, err, env, a.host);
      a.code = run_session(session);
      a.out = out.str();
      errors[i] = err.str();
      a.failure = session.failure;
      a.error_code = session.error_code;
    });
  }
  for (auto& t : threads) t.join();
  return answers;
}

// Each host's rows of a job table (status, stats), read as `Reply`, drawn as one with HOST first.
template <class Reply, class Draw>
std::string merged_table(const std::vector<HostAnswer>& answers, Draw draw) {
  decltype(Reply{}.jobs) jobs;
  std::vector<std::string> hosts;
  bool any = false;
  for (const auto& a : answers) {
    if (a.code != kOk) continue;
    const auto doc = nlohmann::json::parse(a.out, nullptr, false);
    const auto reply = doc.is_discarded() ? std::nullopt : Reply::from_json(doc);
    if (!reply) continue;
    any = true;
    for (const auto& j : reply->jobs) {
      jobs.push_back(j);
      hosts.push_back(a.host);
    }
  }
  return any ? draw(jobs, hosts) : std::string();
}

std::string job_table(const ParsedCli& cli, const std::vector<HostAnswer>& answers) {
  if (std::holds_alternative<proto::Stats>(cli.command))
    return merged_table<proto::Stats::Reply>(answers, [](const auto& j, const auto& h) { return render_stats_table(j, h); });
  return merged_table<proto::Status::Reply>(answers, [](const auto& j, const auto& h) { return render_status_table(j, h); });
}

}  // namespace

int worse_exit(int a, int b) {
  const auto rank = [](int code) {
    switch (code) {
    case kOk: return 0;
    case kNoMatch: return 1;
    case kFailed: return 2;
    case kUsage: return 3;
    case kUnreachable: return 4;
    default: return 2;
    }
  };
  return rank(b) > rank(a) ? b : a;
}

std::string prefix_lines(std::string_view host, std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    out += fmt::format("{}: {}\n", host, text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return out;
}

std::string error_code_for(const HostAnswer& answer) {
  if (answer.error_code) return *answer.error_code;
  switch (answer.code) {
  case kUnreachable: return "unreachable";
  case kUsage: return "usage";
  case kNoMatch: return "no_match";
  default: return "failed";
  }
}

std::string hosts_json(const std::vector<HostAnswer>& answers) {
  Ordered hosts = Ordered::array();
  for (const auto& a : answers) {
    Ordered entry = {{"host", a.host}, {"ok", a.code == kOk}};
    if (a.code == kOk)
      entry["result"] = as_document(a.out);
    else
      entry["error"] = {{"code", error_code_for(a)}, {"message", a.failure}};
    hosts.push_back(std::move(entry));
  }
  return Ordered{{"hosts", std::move(hosts)}}.dump() + "\n";
}

int run_on_hosts(const ParsedCli& parsed, const std::vector<std::string>& hosts, std::ostream& out,
                 std::ostream& err, const common::Getenv& env) {
  const Mode mode = mode_of(parsed);
  int code = kOk;
  if (mode == Mode::Follow) {
    SharedOut shared(out, err);
    for (const auto& a : follow_all(parsed, hosts, shared, env)) code = worse_exit(code, a.code);
    return code;
  }
  ParsedCli cli = parsed;
  if (mode == Mode::Table) cli.options.json = true;  // read as data, drawn as one table here
  std::vector<std::string> errors;
  const auto answers = gather_all(cli, hosts, env, errors);
  std::string text;
  switch (mode) {
  case Mode::Json: text = hosts_json(answers); break;
  case Mode::Table: text = job_table(cli, answers); break;
  case Mode::Lines:
    for (const auto& a : answers) text += prefix_lines(a.host, a.out);
    break;
  case Mode::Blocks:
    for (const auto& a : answers)
      if (!a.out.empty()) text += fmt::format("{}==> {} <==\n{}", text.empty() ? "" : "\n", a.host, a.out);
    break;
  case Mode::Follow: break;
  }
  out << text;
  out.flush();
  for (std::size_t i = 0; i < answers.size(); ++i) {
    err << errors[i];
    code = worse_exit(code, answers[i].code);
  }
  err.flush();
  if (!out) {
    err << "supctl: cannot write to standard output\n";
    return worse_exit(code, kFailed);
  }
  return code;
}

}  // namespace supd::ctl
