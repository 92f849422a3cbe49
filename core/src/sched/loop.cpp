// The loop thread and its phases (loop_impl.hpp, "The tick"); what each phase
// drives lives in its own file.
#include "sched/loop_impl.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <thread>

#include <boost/asio/post.hpp>

#include "fiber/overflow.hpp"
#include "runtime/runtime_impl.hpp"

namespace coreio::detail {

namespace {
// initial-exec: the loop threads read it on every step; with position-
// independent code the default (general-dynamic) model costs a call.
[[gnu::tls_model("initial-exec")]] thread_local LoopImpl* tls_loop = nullptr;
} // namespace

LoopImpl* current_loop() noexcept { return tls_loop; }

LoopImpl::LoopImpl(RuntimeImpl& rt, std::size_t index)
    : rt_(rt), index_(index), facade_(*this), io_(1), io_work_(io_.get_executor()),
      ready_(rt.injector(), rt.idle(), *this, rt.lifo_slot()),
      stealer_(*this, ready_, rt.injector(), rt.idle(), counters_, index), wake_timer_(io_),
      stacks_(rt.stacks(), rt.config().stack_cache_per_loop) {
  debug_.store(rt.config().debug, std::memory_order_relaxed);
}

LoopImpl::~LoopImpl() { drop_queued(); }

void LoopImpl::drop_queued() noexcept {
  // Anything still queued at teardown is dropped (asyncio's close() clears
  // its queues). Tasks cannot be here: Runtime::close() finished them all.
  ready_.drop_callbacks();
  for (QueueLink* n = inbox_.take_all(); n;) {
    QueueLink* next = n->qnext_;
    if (n->kind_ != QueueLink::Kind::task) static_cast<HandleState*>(n)->release();
    n = next;
  }
}

// ---------------------------------------------------------------- any thread

void LoopImpl::schedule_remote(TaskBase* t) noexcept {
  inbox_.push(t);
  unpark();
}

void LoopImpl::post(HandleState* h) {
  h->add_ref(); // the queue's reference, dropped after the callback runs
  // Set before the handle is published (inbox CAS / the caller's return), so
  // a cancel() from any thread reads it without a race.
  if (h->kind_ == QueueLink::Kind::timer) h->timer_loop_ = this;
  if (on_this_thread()) {
    if (h->kind_ == QueueLink::Kind::timer) timers_.add(h);
    else ready_.push_fifo(h);
    return;
  }
  inbox_.push(h);
  unpark();
}

void LoopImpl::request_stop() noexcept {
  stop_requested_.store(true, std::memory_order_release);
  parked_.store(false, std::memory_order_relaxed);
  boost::asio::post(io_, [] {});
}

void LoopImpl::set_exception_handler(Loop::ExceptionHandler h) {
  std::lock_guard g(handler_mu_);
  handler_ = std::move(h);
}

Loop::ExceptionHandler LoopImpl::exception_handler() const {
  std::lock_guard g(handler_mu_);
  return handler_;
}

std::uint64_t LoopImpl::stop_generation() {
  std::lock_guard g(stop_mu_);
  return stop_gen_;
}

void LoopImpl::notify_stop_waiters() {
  std::lock_guard g(stop_mu_);
  stop_cv_.notify_all();
}

void LoopImpl::stop_running() {
  std::lock_guard g(stop_mu_);
  ++stop_gen_;
  stop_pending_ = true;
  stop_cv_.notify_all();
}

void LoopImpl::run_forever_wait(const std::atomic<bool>& closed) {
  std::unique_lock lk(stop_mu_);
  if (std::exchange(stop_pending_, false)) return; // stopped before it ran
  const std::uint64_t gen = stop_gen_;
  // Acquire: pairs with the runtime's Release store of `closed`.
  stop_cv_.wait(lk, [&] { return stop_gen_ != gen || closed.load(std::memory_order_acquire); });
  stop_pending_ = false; // this stop() was for us
}

// ---------------------------------------------------------------- the thread

void LoopImpl::thread_main(std::latch& ready) {
  tls_loop = this;
  setup_thread_altstack();
  thread_ctx_.init();
  // The thread is named "<name>-<i>" by RuntimeImpl::start (runtime.cpp).
  if (rt_.config().pin_threads) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(index_ % std::max(1u, std::thread::hardware_concurrency()), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  uring_.start(io_, index_, rt_.config().io_uring);
  ready.count_down();
  while (!stop_requested_.load(std::memory_order_acquire)) run_once();
  uring_.stop();
  // Callbacks queued for a stopped loop are dropped with it; release timers now
  // so their captures die on this thread.
  timers_.clear();
  tls_loop = nullptr;
}

void LoopImpl::run_once() {
  if (++tick_ % event_interval == 0) maintenance();
  if (run_next()) return;
  maintenance();
  if (ready_.has_ready()) return;
  if (stealer_.try_steal()) return;
  park();
}

void LoopImpl::maintenance() {
  drain_inbox();
  fire_timers();
  poll_io();
  uring_.pass(counters_);
  stealer_.pull_global();
}

void LoopImpl::drain_inbox() {
  QueueLink* n = inbox_.take_all();
  std::uint64_t count = 0;
  while (n) {
    QueueLink* next = n->qnext_;
    ++count;
    switch (n->kind_) {
    case QueueLink::Kind::task: ready_.push_task(static_cast<TaskBase*>(n), false); break;
    case QueueLink::Kind::callback: ready_.push_fifo(n); break;
    case QueueLink::Kind::timer: timers_.add(static_cast<HandleState*>(n)); break;
    }
    n = next;
  }
  if (count) counters_.bump(counters_.inbox_received, count);
}

void LoopImpl::fire_timers() {
  // Due timers join the ready FIFO behind what is already ready (asyncio).
  if (const std::uint64_t fired = timers_.fire_due(ready_)) counters_.bump(counters_.timers_fired, fired);
}

void LoopImpl::poll_io() {
  const std::size_t n = io_.poll();
  if (n) counters_.bump(counters_.io_events, n);
}

void LoopImpl::fill_metrics(coreio::LoopMetrics& m) const {
  m.index = index_;
  m.tasks_run = counters_.tasks_run.load(std::memory_order_relaxed);
  m.callbacks_run = counters_.callbacks_run.load(std::memory_order_relaxed);
  m.steal_attempts = counters_.steal_attempts.load(std::memory_order_relaxed);
  m.steals = counters_.steals.load(std::memory_order_relaxed);
  m.tasks_stolen = counters_.tasks_stolen.load(std::memory_order_relaxed);
  m.parks = counters_.parks.load(std::memory_order_relaxed);
  m.io_events = counters_.io_events.load(std::memory_order_relaxed);
  m.timers_fired = counters_.timers_fired.load(std::memory_order_relaxed);
  m.inbox_received = counters_.inbox_received.load(std::memory_order_relaxed);
  m.uring_completions = counters_.uring_completions.load(std::memory_order_relaxed);
  m.uring_submits = counters_.uring_submits.load(std::memory_order_relaxed);
  m.local_queue_depth = ready_.ring_depth();
  m.callback_queue_depth = ready_.fifo_depth();
}

} // namespace coreio::detail
