#include "config/output_name.hpp"

#include <filesystem>

namespace supd::config {

CheckedOutputName check_output_name(std::string_view text) {
  if (text.empty()) return {{}, OutputNameProblem::Empty};
  const std::filesystem::path p(text);
  if (p.is_absolute()) return {{}, OutputNameProblem::Absolute};
  for (const auto& part : p)
    if (part == "..") return {{}, OutputNameProblem::LeavesLogDir};
  const auto normal = p.lexically_normal();
  if (!normal.has_filename() || normal.filename() == "." || normal.empty()) return {{}, OutputNameProblem::NotAFile};
  return {normal.string(), std::nullopt};
}

}  // namespace supd::config
