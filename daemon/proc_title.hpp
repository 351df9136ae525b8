// The name `ps` shows for a process supd forks without exec (the fd holder): its argv
// strings overwritten in place, as postgres and openssh set their process titles.
#pragma once
#include <string_view>

namespace supd::daemon {

// main() hands over its argv before anything else reads it; later titles overwrite only the
// contiguous strings found here (nothing past them: the environment follows).
void remember_argv(int argc, char** argv);

// Sets the title `ps -o args` and /proc/PID/cmdline show, cut to the room argv had; a no-op
// when remember_argv() was not called (unit tests). For a forked child: supd's own argv stays.
void set_proc_title(std::string_view title) noexcept;

}  // namespace supd::daemon
