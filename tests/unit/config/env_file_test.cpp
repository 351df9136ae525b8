// env_file's syntax (config/env_file.hpp): comments, export, quotes and escapes, and every
// mistake as PATH:LINE; files read in order, a missing one fine only with its dash.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/env_file.hpp"

using namespace supd::config;
using Vars = std::map<std::string, std::string>;
using namespace std::string_literals;

TEST_CASE("env file lines as systemd and dotenv users write them", "[config][env_file]") {
  std::vector<std::string> errors;
  const auto vars = parse_env_text("# a comment\n\n  export TOKEN=abc  \nPLAIN = two words # note\n"
                                   "HASH=a#b\nD=\"say \\\"hi\\\"\\n\\t\\$HOME\" # c\nS='$HOME \\n'\nEMPTY=\r\n"
                                   "TOKEN=later\n",
                                   "app.env", errors);
  CHECK(errors.empty());
  CHECK(vars == Vars{{"TOKEN", "later"}, {"PLAIN", "two words"}, {"HASH", "a#b"}, {"D", "say \"hi\"\n\t$HOME"},
                     {"S", "$HOME \\n"}, {"EMPTY", ""}});
}

TEST_CASE("env file mistakes name the file and line", "[config][env_file]") {
  std::vector<std::string> errors;
  parse_env_text("OK=1\nnot a line\nA B=1\nQ=\"open\nR='x' y\n=v\nN=a\0b\n"s, "/e/app.env", errors);
  REQUIRE(errors.size() == 6);
  CHECK(errors[0] == "/e/app.env:2: expected KEY=VALUE, got 'not a line'");
  CHECK(errors[1] == "/e/app.env:3: expected KEY=VALUE, got 'A B=1'");
  CHECK(errors[2] == "/e/app.env:4: Q: unterminated \" quote (a value may not span lines)");
  CHECK(errors[3] == "/e/app.env:5: R: text after the closing quote");
  CHECK(errors[4].rfind("/e/app.env:6: invalid variable name ''", 0) == 0);
  CHECK(errors[5] == "/e/app.env:7: a NUL byte; an env file is text");
}

TEST_CASE("env files in order: the later wins and a dash allows a missing one", "[config][env_file]") {
  char tmpl[] = "/tmp/supd-envfile-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  std::ofstream(dir / "a.env") << "A=1\nB=1\n";
  std::ofstream(dir / "b.env") << "B=2\n";
  std::vector<std::string> errors;
  const auto a = (dir / "a.env").string(), b = (dir / "b.env").string(), gone = (dir / "gone.env").string();
  CHECK(read_env_files({a, b, "-" + gone}, errors) == Vars{{"A", "1"}, {"B", "2"}});
  CHECK(errors.empty());
  read_env_files({gone}, errors);
  CHECK(errors == std::vector<std::string>{gone + ": no such file (write '-" + gone + "' in env_file if it may be missing)"});
  CHECK(env_file_entry("-/x").optional);
  CHECK(env_file_entry("-/x").path == "/x");
  CHECK_FALSE(env_file_entry("/x").optional);
  std::filesystem::remove_all(dir);
}
