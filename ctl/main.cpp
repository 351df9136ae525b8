// supctl: one command line -> one request to supd -> one answer printed, and an exit code.
#include <csignal>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "ctl/cli.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/render.hpp"
#include "ctl/run.hpp"

int main(int argc, char** argv) {
  using namespace supd::ctl;
  std::signal(SIGPIPE, SIG_IGN);  // a closed socket or stdout is an error to report, not a death
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  try {
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
  } catch (const std::exception& e) {
    std::cerr << "supctl: " << one_line(e.what()) << '\n';
    return kFailed;
  }
}
