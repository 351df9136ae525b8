// split_command: words as sh splits them, nothing expanded.
#include <catch2/catch.hpp>

#include "config/command_line.hpp"

using supd::config::split_command;
using Words = std::vector<std::string>;

namespace {

Words split(std::string_view text) {
  std::string error;
  auto words = split_command(text, error);
  INFO("error: " << error);
  REQUIRE(words);
  return *words;
}

std::string split_error(std::string_view text) {
  std::string error;
  CHECK_FALSE(split_command(text, error));
  return error;
}

}  // namespace

TEST_CASE("words are separated by any run of blanks", "[command_line]") {
  CHECK(split("python3 -u amsa.py") == Words{"python3", "-u", "amsa.py"});
  CHECK(split("  a \t b\n c  ") == Words{"a", "b", "c"});
  CHECK(split("single") == Words{"single"});
}

TEST_CASE("R5: quotes group and printf's format stays literal", "[command_line][R5]") {
  CHECK(split(R"(printf '%s\n' 'a b' c)") == Words{"printf", R"(%s\n)", "a b", "c"});
}

TEST_CASE("R5: nothing a shell would expand or interpret is touched", "[command_line][R5]") {
  CHECK(split("echo $(id); touch pwned") == Words{"echo", "$(id);", "touch", "pwned"});
  CHECK(split("ls * ~ $HOME `id` a|b c&&d >out") ==
        Words{"ls", "*", "~", "$HOME", "`id`", "a|b", "c&&d", ">out"});
  CHECK(split("echo # not a comment") == Words{"echo", "#", "not", "a", "comment"});
}

TEST_CASE("single quotes are literal, backslashes included", "[command_line]") {
  CHECK(split(R"('a\b' 'it''s' '"')") == Words{R"(a\b)", "its", "\""});
}

TEST_CASE("double quotes escape only quote, backslash, dollar, backtick and newline", "[command_line]") {
  CHECK(split(R"("a \"b\" c")") == Words{R"(a "b" c)"});
  CHECK(split(R"("\\ \$ \` \n \x")") == Words{R"(\ $ ` \n \x)"});
  CHECK(split("\"one\\\ntwo\"") == Words{"onetwo"});  // backslash-newline: a continuation
  CHECK(split(R"x("$(id)" "'q'")x") == Words{"$(id)", "'q'"});
}

TEST_CASE("a backslash outside quotes escapes the next character", "[command_line]") {
  CHECK(split(R"(a\ b \'c \"d \\e)") == Words{"a b", "'c", "\"d", R"(\e)"});
  CHECK(split("a\\\nb") == Words{"ab"});  // line continuation
}

TEST_CASE("quoted parts join their neighbours into one word", "[command_line]") {
  CHECK(split(R"(--name="my app"x 'a'"b"c)") == Words{"--name=my appx", "abc"});
}

TEST_CASE("empty quotes make empty words", "[command_line]") {
  CHECK(split(R"(printf '' "" x)") == Words{"printf", "", "", "x"});
}

TEST_CASE("unterminated quotes, a trailing backslash and no words are errors", "[command_line]") {
  CHECK(split_error("echo 'abc") == "unterminated single quote");
  CHECK(split_error("echo \"abc") == "unterminated double quote");
  CHECK(split_error(R"(echo "abc\")") == "unterminated double quote");
  CHECK(split_error("echo abc\\") == "trailing backslash");
  CHECK(split_error("") == "empty command");
  CHECK(split_error(" \t\n ") == "empty command");
}
