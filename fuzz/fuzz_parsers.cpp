// Fuzz target: the small parsers of human text, one per input (the first byte picks it, the
// rest is the text). Each accepted value must come back through the printed form supd and
// supctl show for it:
//   0 parse_duration: "<ms>ms" parses back exactly; format_duration (truncating, for tables)
//     parses back to at most the value, less by under one unit of its last field.
//   1 parse_size: the plain byte count parses back; units are case-insensitive.
//   2 is_valid_job_name: a valid name is a safe file name, survives the protocol, and the
//     config file accepts it as [jobs."<name>"] exactly when it is valid.
//   3 parse_signal: any case gives the same signal; "SIG" + a name too.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/duration.hpp"
#include "common/names.hpp"
#include "common/protocol.hpp"
#include "common/signals.hpp"
#include "config/load.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

std::string ascii_case(std::string_view s, bool to_upper) {
  std::string out(s);
  for (char& c : out) {
    if (to_upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!to_upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The unit of format_duration's last field, by the range it prints in.
milliseconds display_unit(milliseconds d) {
  if (d < 1s) return 1ms;
  if (d < 1h) return 1s;
  if (d < 24h) return 1min;
  return 1h;
}

void check_duration(std::string_view text) {
  const auto d = supd::common::parse_duration(text);
  if (!d) return;
  FUZZ_CHECK(d->count() >= 0);
  FUZZ_CHECK(supd::common::parse_duration(std::to_string(d->count()) + "ms") == d);
  const std::string shown = supd::common::format_duration(*d);
  const auto back = supd::common::parse_duration(shown);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(*back <= *d && *d - *back < display_unit(*d));
  FUZZ_CHECK(supd::common::format_duration(*back) == shown);  // what a table shows is stable
}

void check_size(std::string_view text) {
  const auto n = supd::common::parse_size(text);
  if (!n) return;
  FUZZ_CHECK(supd::common::parse_size(std::to_string(*n)) == n);
  FUZZ_CHECK(supd::common::parse_size(std::to_string(*n) + "B") == n);
  if (*n % 1024 == 0) FUZZ_CHECK(supd::common::parse_size(std::to_string(*n / 1024) + "KiB") == n);
  FUZZ_CHECK(supd::common::parse_size(ascii_case(text, true)) == n);
  FUZZ_CHECK(supd::common::parse_size(ascii_case(text, false)) == n);
}

bool printable_ascii(std::string_view s) {
  for (const char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// A TOML basic string holding `s` (printable ASCII only: the caller checks).
std::string toml_quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

void check_name(std::string_view name) {
  namespace proto = supd::protocol;
  const bool valid = proto::is_valid_job_name(name);
  if (valid) {
    // <log_dir>/<name>.out and the job's record file: one plain component, never a way out.
    FUZZ_CHECK(!name.empty() && name.size() <= 64 && name != "." && name != "..");
    FUZZ_CHECK(name.find_first_of(std::string_view("/\0\n ", 4)) == std::string_view::npos);
    FUZZ_CHECK(name.front() != '-');  // never read as an option by supctl or a shell tool
    const proto::Request request{7, proto::Pid{std::string(name)}};
    const std::string wire = proto::encode_request(request);
    const auto back = proto::decode_request(std::string_view(wire).substr(0, wire.size() - 1));
    FUZZ_CHECK(std::holds_alternative<proto::Request>(back) && std::get<proto::Request>(back) == request);
  }
  if (!printable_ascii(name)) return;
  const std::string toml = "[jobs." + toml_quoted(name) + "]\ncommand = \"true\"\n";
  const supd::config::LoadOptions options{"/srv/fuzz", [](std::string_view) { return std::nullopt; }};
  const auto result = supd::config::parse_config(toml, "fuzz.toml", options);
  // The file takes every valid name but the reserved ones (`all`: a command's word for every job).
  const bool usable = valid && !supd::common::is_reserved_job_name(name);
  FUZZ_CHECK(result.config.has_value() == usable);
  if (usable) FUZZ_CHECK(result.config->jobs.size() == 1 && result.config->jobs[0].name == name);
}

void check_signal(std::string_view text) {
  const auto signo = supd::common::parse_signal(text);
  FUZZ_CHECK(supd::common::parse_signal(ascii_case(text, true)) == signo);
  FUZZ_CHECK(supd::common::parse_signal(ascii_case(text, false)) == signo);
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  const bool has_sig = text.size() >= 3 && ascii_case(text.substr(0, 3), true) == "SIG";
  if (signo && !digits && !has_sig) FUZZ_CHECK(supd::common::parse_signal("SIG" + std::string(text)) == signo);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
  case 0: check_duration(text); break;
  case 1: check_size(text); break;
  case 2: check_name(text); break;
  default: check_signal(text); break;
  }
  return 0;
}
