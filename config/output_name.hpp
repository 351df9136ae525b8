// The one rule for a job's output file name (`stdout`/`stderr` in the file, `supctl run
// --stdout`): relative to the log dir, never leaving it, naming a file.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace supd::config {

enum class OutputNameProblem { Empty, Absolute, LeavesLogDir, NotAFile };

// The normalized name, or what is wrong with `text`.
struct CheckedOutputName {
  std::string file;
  std::optional<OutputNameProblem> problem;
};
CheckedOutputName check_output_name(std::string_view text);

}  // namespace supd::config
