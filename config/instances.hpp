// Internal to config/: `instances = N` makes N copies of a job, NAME@0 … NAME@N-1, with `%i`
// replaced by the copy's index in `command`, `environment`, `stdout`, `stderr` and the health
// check (`%%` is a literal `%`). A job without `instances` may not use `%i`. A dependency on
// NAME is a dependency on every copy.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "config/job_fields.hpp"

namespace supd::config::detail {

// "--port=80%i" with 3: "--port=803".
std::string with_index(std::string_view text, long index);
// Whether the text has a `%i` (not `%%i`).
bool has_index(std::string_view text);

// Each job with instances becomes its copies, in place; `%i` elsewhere is an error.
void expand_instances(std::vector<BuiltJob>& jobs, Errors& errors);

}  // namespace supd::config::detail
