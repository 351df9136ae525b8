// The health checks for real (daemon/core/health_checks.hpp): `exec` runs the command as a side
// child in the job's directory and environment (exit 0 = healthy, its output kept, bounded);
// `http` runs supd's own probe (`supd --probe-http URL MS`, libcurl in a short-lived process:
// a slow server or DNS never touches the loop); `tcp` connects through Asio. Each is bounded
// by the check's timeout. Verdicts go to the hub.
#pragma once
#include <set>
#include <string>

#include <asio/io_context.hpp>

#include "daemon/core/event_hub.hpp"
#include "daemon/core/health_checks.hpp"
#include "daemon/core/supervisor.hpp"
#include "daemon/process/side_children.hpp"

namespace supd::daemon {

class HealthChecker final : public HealthChecks {
public:
  // `self`: supd's own binary, for the http probe. Serves `sup` from now until destroyed.
  HealthChecker(asio::io_context& io, SideChildren& children, EventHub& hub, Supervisor& sup, std::string self)
      : io_(io), children_(children), hub_(hub), sup_(sup), self_(std::move(self)) {
    sup_.set_health_checks(this);
  }
  ~HealthChecker() override;  // a check still running is killed
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;
  void run(const config::JobSpec& job, int run) override;

private:
  asio::io_context& io_;
  SideChildren& children_;
  EventHub& hub_;
  Supervisor& sup_;
  std::string self_;
  std::set<pid_t> running_;  // checks as side children, until their verdict
};

}  // namespace supd::daemon
