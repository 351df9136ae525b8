// A job's `http = "http://..."` health check: one GET with libcurl. It runs in a short-lived
// probe process (`supd --probe-http URL TIMEOUT_MS`), so a slow server or a DNS lookup never
// touches supd's loop or threads; the process prints one line and exits with the verdict.
//
// libcurl is loaded with dlopen on the first call, as libsystemd is (daemon/control/notify.cpp):
// linked in, its ~30 libraries (OpenSSL, Kerberos, LDAP...) would be mapped into every supd,
// about 6 MiB of memory for a feature most jobs do not use (docs/design-decisions.md, "supd's
// memory"). Only the probe process maps it.
#pragma once
#include <chrono>
#include <ostream>
#include <string>

namespace supd::daemon {

// GET `url` (http:// or https://), no redirect followed (a 3xx answer counts as healthy), no
// proxy from the environment, within `timeout` in all; the body is read up to 64 KiB and thrown
// away. Prints one line to `out`: "HTTP 200", "HTTP 503", or what failed ("connection refused",
// "timed out after 2000 ms", "could not resolve host: nohost").
// Returns 0 when healthy (2xx/3xx), 1 when not (another status, or no answer), 2 when it cannot
// check at all: not an http or https URL, a URL curl cannot parse, or libcurl cannot be loaded.
int http_probe(const std::string& url, std::chrono::milliseconds timeout, std::ostream& out);

}  // namespace supd::daemon
