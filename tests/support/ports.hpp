// Loopback TCP ports for tests that start a server (an sshd, an HTTP server for a health check).
#pragma once

namespace supd::test {

// A port nothing listens on now (bound to 0, read, let go): a server started next takes it.
int free_port();

// Whether something on 127.0.0.1 accepts a connection on `port` now.
bool accepts(int port);

}  // namespace supd::test
