// TaskBase: identity and names. The wake-up is suspend.cpp's (with the
// suspension points that call it on every step), cancellation cancel.cpp,
// spawning spawn.cpp; the step harness that runs a task is sched/step.cpp.
#include "coreio/detail/task_base.hpp"

#include <atomic>
#include <mutex>

#include "sched/loop_impl.hpp"

namespace coreio::detail {

namespace {
std::atomic<std::uint64_t> next_task_id{1};
} // namespace

TaskBase::TaskBase() : QueueLink(QueueLink::Kind::task), id_(next_task_id.fetch_add(1, std::memory_order_relaxed)) {}

TaskBase::~TaskBase() {
  // Build the name only when there is something to report: this runs for
  // every task, and formatting "Task-<id>" would cost an allocation each.
  if (status_.load(std::memory_order_relaxed) == Status::exception && !retrieved_)
    report_unretrieved("Task '" + (custom_name() ? std::string(custom_name()) : "Task-" + std::to_string(id_)) + "'");
}

std::string TaskBase::name() const {
  std::lock_guard g(lock_);
  if (const char* n = custom_name()) return n;
  return "Task-" + std::to_string(id_);
}

void TaskBase::set_name(std::string name) {
  auto fresh = std::make_unique<Extras>(); // before the lock; dropped if one exists
  std::lock_guard g(lock_);
  Extras& x = extras_locked(fresh);
  x.name = std::move(name);
  x.named = true;
}

std::string TaskBase::describe() const { return "Task '" + name() + "'"; }

} // namespace coreio::detail
