// supctl: one command line -> one request to supd -> one answer printed, and an exit code.
#include <unistd.h>

#include <csignal>
#include <exception>
#include <string>
#include <vector>

#include "ctl/cli.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/plain_cli.hpp"
#include "ctl/plain_run.hpp"
#include "ctl/render.hpp"
#include "ctl/run.hpp"
#include "ctl/std_streams.hpp"

namespace {

using namespace supd::ctl;

// Every other command line: CLI11's parser, then run() with the standard streams.
int run_full(const std::vector<std::string>& args) {
  const StandardStreams streams;
  ParsedCli cli;
  try {
    cli = parse_cli(args);
  } catch (const UsageError& e) {
    std::cerr << "supctl: " << one_line(e.what()) << '\n';
    return kUsage;
  }
  if (cli.action == ParsedCli::Action::Print) {
    std::cout << cli.text;
    std::cout.flush();
    return std::cout ? kOk : kFailed;
  }
  return run(cli, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed socket or stdout is an error to report, not a death
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  try {
    // The lines scripts repeat take the plain path: no CLI11 app, no iostreams (plain_cli.hpp).
    if (const auto plain = parse_plain(args); plain && runs_plain(*plain))
      return run_plain(*plain, STDOUT_FILENO, STDERR_FILENO);
    return run_full(args);
  } catch (const std::exception& e) {
    // Written as the plain path writes: the standard streams may not have been built.
    const std::string line = "supctl: " + one_line(e.what()) + "\n";
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
    return kFailed;
  }
}
