#include "daemon/output/rotation_worker.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "common/fd.hpp"
#include "common/sys_error.hpp"
#include "daemon/output/log_dir.hpp"
#include "daemon/output/rotation_repair.hpp"

namespace supd::daemon {

RotationWorker::~RotationWorker() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RotationWorker::settle(const std::filesystem::path& log, int keep, const std::filesystem::path& log_dir) {
  {
    const std::lock_guard lock(mutex_);
    queue_[log.string()] = {keep, log_dir};  // the newest limit wins
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  wake_.notify_one();
}

void RotationWorker::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

std::optional<std::string> RotationWorker::take_error() {
  const std::lock_guard lock(mutex_);
  auto error = std::move(error_);
  error_.reset();
  return error;
}

void RotationWorker::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued is done
    auto batch = std::move(queue_);
    queue_.clear();
    busy_ = true;
    lock.unlock();
    std::string error;
    for (const auto& [log, how] : batch) settle_now(log, how, error);
    lock.lock();
    busy_ = false;
    if (!error.empty() && !error_) error_ = std::move(error);
    if (queue_.empty()) idle_.notify_all();
  }
}

void RotationWorker::settle_now(const std::string& log, const Settle& how, std::string& error) {
  const std::filesystem::path path(log);
  std::string why;
  common::UniqueFd dirfd = open_log_parent(how.log_dir, path, why);
  if (dirfd && settle_rotation(dirfd.get(), path.filename().string(), how.keep)) return;
  if (why.empty()) why = common::errno_message(errno);
  if (error.empty())
    error = fmt::format("{}: numbering its rotated files failed: {}; retried at its next rotation", log, why);
}

}  // namespace supd::daemon
