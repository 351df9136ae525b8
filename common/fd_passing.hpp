// Sending one datagram or seqpacket message with at most one fd attached (SCM_RIGHTS): the fd
// holder's protocol and systemd's FDSTORE=1 both pass pipes this way.
#pragma once
#include <sys/socket.h>

#include <string_view>

namespace supd::common {

// One sendmsg(2) (EINTR retried, no SIGPIPE); `fd` < 0 sends no fd, `to` null sends to the
// connected peer. True when the whole message went.
bool send_with_fd(int sock, std::string_view text, int fd, const sockaddr* to = nullptr, socklen_t to_len = 0);

}  // namespace supd::common
