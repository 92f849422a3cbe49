// Tasks: the state-word transitions (task_base.hpp), spawning and placement,
// cancellation, suspension (for tasks and for plain threads), sleep.
#include "coreio/task.hpp"

#include <atomic>
#include <thread>

#include "coreio/context_var.hpp"
#include "coreio/sleep.hpp"
#include "runtime/log.hpp"
#include "sched/loop_impl.hpp"
#include "runtime/runtime_impl.hpp"

namespace coreio::detail {

namespace {
std::atomic<std::uint64_t> next_task_id{1};

/// A plain OS thread's way to sleep in wait_until_fired(): a one-token parker
/// (std::thread::park-like). Reference counted so a notifier holding it after
/// the thread moved on never touches freed memory.
class ThreadParker final : public Wakeable {
public:
  void wake() noexcept override {
    // Release: pairs with the Acquire exchange in park().
    token_.store(1, std::memory_order_release);
    token_.notify_one();
  }
  void retain() noexcept override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unretain() noexcept override {
    // AcqRel: the last release must see every other user's writes before delete.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  void park() noexcept {
    while (token_.exchange(0, std::memory_order_acquire) == 0) token_.wait(0, std::memory_order_acquire);
  }

private:
  std::atomic<std::uint32_t> token_{0};
  std::atomic<std::uint32_t> refs_{1};
};

struct ParkerHolder {
  ThreadParker* p = new ThreadParker();
  ~ParkerHolder() { p->unretain(); }
};

ThreadParker& this_thread_parker() {
  thread_local ParkerHolder holder;
  return *holder.p;
}
} // namespace

// ---------------------------------------------------------------- TaskBase

TaskBase::TaskBase() : QueueLink(QueueLink::Kind::task), id_(next_task_id.fetch_add(1, std::memory_order_relaxed)) {}

TaskBase::~TaskBase() {
  // Build the name only when there is something to report: this runs for
  // every task, and formatting "Task-<id>" would cost an allocation each.
  if (status_.load(std::memory_order_relaxed) == Status::exception && !retrieved_)
    report_unretrieved("Task '" + (name_ ? *name_ : "Task-" + std::to_string(id_)) + "'");
}

std::string TaskBase::name() const {
  std::lock_guard g(lock_);
  return name_ ? *name_ : "Task-" + std::to_string(id_);
}

void TaskBase::set_name(std::string name) {
  std::lock_guard g(lock_);
  name_ = std::make_unique<std::string>(std::move(name));
}

std::string TaskBase::describe() const { return "Task '" + name() + "'"; }

void TaskBase::wake() noexcept {
  // Acquire: pairs with the Release CAS at the end of LoopImpl::run_task, so
  // the saved fiber context is visible to whichever loop runs the task next.
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (s & (COMPLETE | SCHEDULED | NOTIFIED)) return; // rule 4, or already queued/notified
    if (s & RUNNING) {
      // Rule 3: it is on a CPU now; its loop requeues it when the step ends.
      if (state_.compare_exchange_weak(s, s | NOTIFIED, std::memory_order_acq_rel, std::memory_order_acquire)) return;
      continue;
    }
    // Rule 1: the winner of IDLE -> SCHEDULED queues it.
    if (state_.compare_exchange_weak(s, SCHEDULED, std::memory_order_acq_rel, std::memory_order_acquire)) break;
  }
  LoopImpl* here = current_loop();
  LoopImpl* home = loop_.load(std::memory_order_relaxed);
  if (here && &here->runtime() == runtime_ && (!pinned_ || here == home)) here->push_task(this, true);
  else home->schedule_remote(this);
}

bool TaskBase::cancel(std::string msg) {
  if (done()) return false;
  num_cancels_.fetch_add(1, std::memory_order_relaxed);
  FutureStateBase* awaited = nullptr;
  {
    std::lock_guard g(lock_);
    awaited = waiting_on_;
    if (awaited) awaited->add_ref();
  }
  if (awaited) {
    // asyncio: `if self._fut_waiter.cancel(msg): return True`.
    const bool ok = awaited->cancel(msg);
    awaited->release();
    if (ok) return true;
  }
  {
    std::lock_guard g(lock_);
    cancel_msg_ = std::move(msg);
    // Release: the message is visible to whoever sees the flag.
    must_cancel_.store(true, std::memory_order_release);
  }
  wake();
  return true;
}

int TaskBase::uncancel() noexcept {
  int n = num_cancels_.load(std::memory_order_relaxed);
  while (n > 0 && !num_cancels_.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) {
  }
  if (n > 0) --n;
  // 3.13: with no requests left, a not-yet-delivered cancellation is dropped.
  if (n == 0) must_cancel_.store(false, std::memory_order_relaxed);
  return n;
}

bool TaskBase::finish_cancelled(std::string msg) {
  return complete(Status::cancelled, [&] { exc_ = std::make_exception_ptr(CancelledError(std::move(msg))); });
}

void TaskBase::finish_with_exception(std::exception_ptr e) {
  complete(Status::exception, [&] { exc_ = std::move(e); });
}

TaskBase* current_task_base() noexcept {
  LoopImpl* l = current_loop();
  return l ? l->current() : nullptr;
}

// ---------------------------------------------------------------- suspension

Wakeable& current_wakeable() {
  if (TaskBase* t = current_task_base()) return *t;
  return this_thread_parker();
}

void suspend_current() {
  if (TaskBase* t = current_task_base()) {
    LoopImpl::switch_to_loop(t);
    return;
  }
  this_thread_parker().park();
}

bool cancel_pending() noexcept {
  TaskBase* t = current_task_base();
  // Acquire: pairs with the Release store in TaskBase::cancel().
  return t && t->must_cancel_.load(std::memory_order_acquire);
}

bool TaskBase::take_pending_cancel(std::string& msg) {
  // Acquire: pairs with the Release store in cancel(); the common case (no
  // cancel) costs this one load.
  if (!must_cancel_.load(std::memory_order_acquire)) return false;
  std::lock_guard g(lock_);
  if (!must_cancel_.load(std::memory_order_relaxed)) return false; // uncancel() won
  must_cancel_.store(false, std::memory_order_relaxed);
  msg = std::move(cancel_msg_);
  return true;
}

void throw_cancelled() {
  TaskBase* t = current_task_base();
  std::string msg;
  if (t) {
    std::lock_guard g(t->lock_);
    t->must_cancel_.store(false, std::memory_order_relaxed);
    msg = std::move(t->cancel_msg_);
  }
  throw CancelledError(std::move(msg));
}

void check_cancel() {
  if (cancel_pending()) throw_cancelled();
}

// ---------------------------------------------------------------- spawn

void spawn(TaskBase& task, TaskOptions&& opts) {
  LoopImpl* here = current_loop();
  RuntimeImpl* rt = nullptr;
  if (opts.loop) rt = &opts.loop->impl().runtime();
  else if (here) rt = &here->runtime();
  else if (Runtime* r = Runtime::current()) rt = &r->impl();
  if (!rt) throw RuntimeError("no running event loop: create_task() needs a task, a loop thread or TaskOptions::loop");
  if (rt->closing() && !(here && &here->runtime() == rt))
    throw RuntimeError("cannot create a task: the runtime is closing");

  if (!opts.name.empty()) task.set_name(std::move(opts.name));
  task.runtime_ = rt;
  task.context_ = current_context();

  TaskBase* parent = here ? here->current() : nullptr;
  const bool eager_here = opts.eager && parent && !opts.loop && &here->runtime() == rt;
  LoopImpl* target = nullptr;
  if (opts.loop) target = &opts.loop->impl();
  else if (eager_here) target = here;
  else if (rt->placement() == Placement::round_robin || !here || &here->runtime() != rt) target = &rt->next_loop();
  else target = here;
  // With one loop or stealing off, every task is pinned (loop_impl.hpp "Queues").
  task.pinned_ = opts.pinned || !rt->stealing();
  task.loop_.store(target, std::memory_order_relaxed);
  task.eager_ = opts.eager;

  // SCHEDULED before the task becomes visible in the registry: a cancel() from
  // all_tasks() must not see it idle and queue it a second time (rule 1).
  task.state_.store(SCHEDULED, std::memory_order_relaxed);
  rt->register_task(&task); // the runtime's reference until the body ends

  if (eager_here) {
    // Run the child now, before create_task returns; the parent resumes next.
    here->run_eagerly(&task);
    LoopImpl::switch_to_loop(parent);
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
  return rt->impl().all_tasks();
}

void sleep_until(std::chrono::steady_clock::time_point when) {
  detail::TaskBase* t = detail::current_task_base();
  if (!t) {
    detail::ensure_can_suspend();
    std::this_thread::sleep_until(when);
    return;
  }
  detail::check_cancel();
  auto h = detail::Ref<detail::HandleState>::adopt(new detail::HandleState(
      [w = detail::WakeRef(t)]() mutable { w.wake(); }, detail::QueueLink::Kind::timer));
  h->when_ = when;
  detail::current_loop()->post(h.get());
  // Acquire: pairs with the Release store of ran_ in LoopImpl::run_callback.
  while (!h->ran_.load(std::memory_order_acquire)) {
    if (detail::cancel_pending()) {
      h->cancel();
      detail::throw_cancelled();
    }
    detail::suspend_current();
  }
  // A cancel that arrived after the timer fired but before we resumed is
  // raised here, as asyncio raises it from that `await sleep()`.
  detail::check_cancel();
}

void sleep(std::chrono::nanoseconds delay) {
  if (delay <= std::chrono::nanoseconds::zero()) {
    yield_now();
    return;
  }
  sleep_until(std::chrono::steady_clock::now() + delay);
}

void yield_now() {
  detail::TaskBase* t = detail::current_task_base();
  if (!t) {
    detail::ensure_can_suspend();
    std::this_thread::yield();
    return;
  }
  // asyncio's bare yield: a pending cancellation is delivered when we resume.
  t->wake(); // RUNNING -> NOTIFIED: requeued at the back when we switch out
  detail::suspend_current();
  detail::check_cancel();
}

} // namespace coreio
