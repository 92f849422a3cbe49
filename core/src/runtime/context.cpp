// Task-local contexts (context_var.hpp): the running task's context, or a
// per-thread one for code outside tasks (plain threads only: a task's context
// never lives in a thread_local, so it follows the task across loops).
#include "coreio/context_var.hpp"

#include "coreio/detail/task_base.hpp"

namespace coreio::detail {

namespace {
std::shared_ptr<const ContextData>& thread_context() noexcept {
  thread_local std::shared_ptr<const ContextData> ctx;
  return ctx;
}
} // namespace

const std::shared_ptr<const ContextData>& current_context() noexcept {
  if (TaskBase* t = current_task_base()) return t->context_;
  return thread_context();
}

void set_current_context(std::shared_ptr<const ContextData> ctx) noexcept {
  if (TaskBase* t = current_task_base()) t->context_ = std::move(ctx);
  else thread_context() = std::move(ctx);
}

} // namespace coreio::detail
