// Spawning: where a new task is placed (the runtime's placement policy, an
// explicit loop, an eager start) and how it becomes visible (registry, then
// a queue: task_state_word.hpp rule 1), plus the task queries.
#include <atomic>

#include "coreio/context_var.hpp"
#include "coreio/task.hpp"
#include "runtime/runtime_impl.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

void spawn(TaskBase& task, TaskOptions&& opts) {
  LoopImpl* here = current_loop();
  RuntimeImpl* rt = nullptr;
  if (opts.loop) rt = &Access::impl(*opts.loop).runtime();
  else if (here) rt = &here->runtime();
  else if (Runtime* r = Runtime::current()) rt = &Access::impl(*r);
  if (!rt) throw RuntimeError("no running event loop: create_task() needs a task, a loop thread or TaskOptions::loop");
  if (rt->closing() && !(here && &here->runtime() == rt))
    throw RuntimeError("cannot create a task: the runtime is closing");

  if (!opts.name.empty()) task.set_name(std::move(opts.name));
  task.context_ = current_context();

  TaskBase* parent = here ? here->current() : nullptr;
  const bool eager_here = opts.eager && parent && !opts.loop && &here->runtime() == rt;
  // An explicit loop wins; an eager start stays here; otherwise the
  // placement policy (a thread of another runtime, or none, is round-robin).
  const bool stay_here = eager_here || (here && &here->runtime() == rt && rt->placement() != Placement::round_robin);
  LoopImpl* target = nullptr;
  if (opts.loop) target = &Access::impl(*opts.loop);
  else target = stay_here ? here : &rt->next_loop();
  // With one loop or stealing off, every task is pinned (sched/ready_queue.hpp).
  task.pinned_ = opts.pinned || !rt->stealing();
  task.loop_.store(target, std::memory_order_relaxed);
  task.eager_ = opts.eager;

  // SCHEDULED before the task becomes visible in the registry: a cancel() from
  // all_tasks() must not see it idle and queue it a second time (rule 1).
  task.state_.init_scheduled();
  rt->register_task(&task); // the runtime's reference until the body ends

  if (eager_here) {
    // Run the child now, before create_task returns; the parent resumes next.
    here->run_eagerly(*parent, task);
    return;
  }
  if (target == here) here->push_task(&task, false);
  else target->schedule_remote(&task);
}

} // namespace coreio::detail

namespace coreio {

TaskHandle current_task() {
  detail::TaskBase* t = detail::current_task_base();
  if (!t) return {};
  return TaskHandle(detail::Ref<detail::FutureStateBase>::share(t));
}

std::vector<TaskHandle> all_tasks() {
  detail::LoopImpl* l = detail::current_loop();
  Runtime* rt = l ? &l->runtime().facade() : Runtime::current();
  if (!rt) throw RuntimeError("all_tasks(): no running event loop");
  return detail::Access::impl(*rt).all_tasks();
}

} // namespace coreio
