#include "common/names.hpp"

#include <array>

#include <fmt/format.h>

#include "common/edit_distance.hpp"
#include "common/log_text.hpp"

namespace supd::common {

bool is_reserved_job_name(std::string_view name) {
  constexpr std::array<std::string_view, 1> kReserved{"all"};
  for (const auto word : kReserved)
    if (name == word) return true;
  return false;
}

std::string unknown_job_message(std::string_view name, std::span<const std::string_view> known) {
  if (const auto guess = closest(name, known))
    return fmt::format("no job named '{}'; did you mean '{}'? see: supctl status", name, *guess);
  return fmt::format("no job named '{}'; see: supctl status", name);
}

std::string reserved_job_name_message(std::string_view name) {
  return fmt::format("job name '{}' is reserved (supctl start/stop/restart/status {} means every job); "
                     "pick another name",
                     name, name);
}

std::optional<std::string> environment_name_problem(std::string_view name) {
  if (name.empty() || name.find('=') != std::string_view::npos || name.find('\0') != std::string_view::npos)
    return std::string("it may not be empty or contain '='");
  if (has_control(name)) return std::string("it may not contain a control character such as a newline");
  return std::nullopt;
}

}  // namespace supd::common
