// Fuzz target: config::parse_config on arbitrary text. It must never throw or crash; it
// returns a config exactly when there are no errors; every error is one line (supd prints
// them one per line); and a config it accepts keeps the promises JobSpec documents.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/protocol.hpp"
#include "config/load.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

// Fixed, so a crash reproduces anywhere: no real environment, no real cwd.
std::optional<std::string> fake_getenv(std::string_view name) {
  if (name == "HOME") return std::string("/home/fuzz");
  return std::nullopt;
}

void check_config(const supd::config::Config& config) {
  for (const auto& job : config.jobs) {
    FUZZ_CHECK(supd::protocol::is_valid_instance_name(job.name));
    FUZZ_CHECK(!job.argv.empty());
    FUZZ_CHECK(job.directory.is_absolute());
    // Output files stay inside log_dir: relative, no "..".
    for (const std::string* file : {&job.stdout_file, job.stderr_file ? &*job.stderr_file : nullptr}) {
      if (file == nullptr) continue;
      const std::filesystem::path p(*file);
      FUZZ_CHECK(!file->empty() && p.is_relative());
      for (const auto& part : p) FUZZ_CHECK(part != "..");
    }
    FUZZ_CHECK(job.start_retries >= 0);
    FUZZ_CHECK(job.log_keep >= 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const supd::config::LoadOptions options{"/srv/fuzz", fake_getenv};
  const auto result = supd::config::parse_config(text, "fuzz.toml", options);
  FUZZ_CHECK(result.config.has_value() == result.errors.empty());
  for (const auto& error : result.errors) {
    FUZZ_CHECK(!error.message.empty());
    FUZZ_CHECK(error.line >= 0 && error.column >= 0);
    FUZZ_CHECK(supd::config::to_string(error).find('\n') == std::string::npos);
  }
  if (result.config) check_config(*result.config);
  return 0;
}
