// The loop thread: phases, queues, parking, task steps and fiber switches.
// See loop_impl.hpp for the design; this file follows its phase list.
#include "sched/loop_impl.hpp"

#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/context/detail/fcontext.hpp>

#include "fiber/fiber_switch.hpp"
#include "runtime/log.hpp"
#include "fiber/overflow.hpp"
#include "runtime/runtime_impl.hpp"
#include "io/uring.hpp"

namespace ctx = boost::context::detail;

namespace coreio::detail {

namespace {
thread_local LoopImpl* tls_loop = nullptr;

struct TimerLater {
  // Min-heap on (when, ticket): std::push_heap builds a max-heap, so invert.
  bool operator()(const Ref<HandleState>& a, const Ref<HandleState>& b) const noexcept {
    if (a->when_ != b->when_) return a->when_ > b->when_;
    return a->ticket_ > b->ticket_;
  }
};
} // namespace

LoopImpl* current_loop() noexcept { return tls_loop; }

void ensure_can_suspend() {
  if (tls_loop && !tls_loop->current())
    throw RuntimeError("coreio: cannot wait inside a callback running on an event loop "
                       "(it would block the loop); create a task instead");
}

LoopImpl::LoopImpl(RuntimeImpl& rt, std::size_t index)
    : io_(1), io_work_(io_.get_executor()), rt_(rt), index_(index), facade_(*this), stealing_(rt.stealing()),
      lifo_enabled_(rt.lifo_slot()),
      rng_(0x9E3779B97F4A7C15ull * (index + 1)), wake_timer_(io_),
      stacks_(rt.stacks(), rt.config().stack_cache_per_loop) {
  debug_.store(rt.config().debug, std::memory_order_relaxed);
}

LoopImpl::~LoopImpl() { drop_queued(); }

void LoopImpl::drop_queued() noexcept {
  // Anything still queued at teardown is dropped (asyncio's close() clears
  // its queues). Tasks cannot be here: Runtime::close() finished them all.
  while (QueueLink* n = fifo_pop())
    if (n->kind_ != QueueLink::Kind::task) static_cast<HandleState*>(n)->release();
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
    if (h->kind_ == QueueLink::Kind::timer) add_timer(h);
    else fifo_push(h);
    return;
  }
  inbox_.push(h);
  unpark();
}

void LoopImpl::unpark() noexcept {
  // SeqCst: second half of the Dekker pair with park() (see inbox.hpp).
  if (parked_.load(std::memory_order_seq_cst) && parked_.exchange(false, std::memory_order_acq_rel))
    boost::asio::post(io_, [] {});
}

void LoopImpl::request_stop() noexcept {
  stop_requested_.store(true, std::memory_order_release);
  parked_.store(false, std::memory_order_relaxed);
  boost::asio::post(io_, [] {});
}

// ---------------------------------------------------------------- the thread

void LoopImpl::thread_main(std::latch& ready) {
  tls_loop = this;
  setup_thread_altstack();
  tsan_fiber_ = sanitizer::tsan_current_fiber();
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* lo = nullptr;
    std::size_t size = 0;
    pthread_attr_getstack(&attr, &lo, &size);
    thread_stack_lo_ = lo;
    thread_stack_size_ = size;
    pthread_attr_destroy(&attr);
  }
  // The thread is named "<name>-<i>" by RuntimeImpl::start (runtime.cpp).
  if (rt_.config().pin_threads) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(index_ % std::max(1u, std::thread::hardware_concurrency()), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  start_uring();
  ready.count_down();
  while (!stop_requested_.load(std::memory_order_acquire)) run_once();
  stop_uring();
  // Callbacks queued for a stopped loop are dropped with it; release timers now
  // so their captures die on this thread.
  timers_.clear();
  tls_loop = nullptr;
}

void LoopImpl::run_once() {
  if (++tick_ % event_interval == 0) maintenance();
  if (run_next()) return;
  maintenance();
  if (has_ready()) return;
  if (try_steal()) return;
  park();
}

void LoopImpl::maintenance() {
  drain_inbox();
  fire_timers();
  poll_io();
  if (uring_) pass_uring();
  if (stealing_) pull_global();
}

bool LoopImpl::has_ready() const noexcept {
  return !front_.empty() || lifo_slot_ || fifo_head_ || !local_.empty();
}

bool LoopImpl::run_next() {
  if (!front_.empty()) {
    TaskBase* t = front_.back();
    front_.pop_back();
    run_task(t);
    return true;
  }
  if (lifo_slot_ && lifo_polls_ < max_lifo_polls) {
    ++lifo_polls_;
    run_task(std::exchange(lifo_slot_, nullptr));
    return true;
  }
  lifo_polls_ = 0;
  if (lifo_slot_) ring_push(std::exchange(lifo_slot_, nullptr)); // fairness: back of the line
  // Ready order: whichever of fifo_ and local_ was queued first (tickets).
  if (fifo_head_) {
    TaskBase* ring_head = local_.peek();
    const std::uint64_t fifo_ticket = fifo_head_->kind_ == QueueLink::Kind::task
                                          ? static_cast<TaskBase*>(fifo_head_)->ticket_.load(std::memory_order_relaxed)
                                          : static_cast<HandleState*>(fifo_head_)->ticket_;
    if (!ring_head || fifo_ticket < ring_head->ticket_.load(std::memory_order_relaxed)) {
      QueueLink* n = fifo_pop();
      if (n->kind_ == QueueLink::Kind::task) run_task(static_cast<TaskBase*>(n));
      else run_callback(static_cast<HandleState*>(n));
      return true;
    }
  }
  if (TaskBase* t = local_.pop()) {
    local_depth_.store(local_.size(), std::memory_order_relaxed);
    run_task(t);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- queues

void LoopImpl::fifo_push(QueueLink* n) noexcept {
  if (n->kind_ == QueueLink::Kind::task) static_cast<TaskBase*>(n)->ticket_.store(next_ticket(), std::memory_order_relaxed);
  else static_cast<HandleState*>(n)->ticket_ = next_ticket();
  n->qnext_ = nullptr;
  if (fifo_tail_) fifo_tail_->qnext_ = n;
  else fifo_head_ = n;
  fifo_tail_ = n;
  fifo_depth_.store(++fifo_size_, std::memory_order_relaxed);
}

QueueLink* LoopImpl::fifo_pop() noexcept {
  QueueLink* n = fifo_head_;
  if (!n) return nullptr;
  fifo_head_ = n->qnext_;
  if (!fifo_head_) fifo_tail_ = nullptr;
  n->qnext_ = nullptr;
  fifo_depth_.store(--fifo_size_, std::memory_order_relaxed);
  return n;
}

void LoopImpl::ring_push(TaskBase* t) noexcept {
  t->ticket_.store(next_ticket(), std::memory_order_relaxed);
  if (!local_.push(t)) {
    // Overflow (Tokio): move half of the ring plus t to the global queue, so
    // other loops can take them in batches.
    TaskBase* first = nullptr;
    TaskBase* last = nullptr;
    std::size_t n = 0;
    for (std::size_t i = 0; i < local_queue_capacity / 2; ++i) {
      TaskBase* x = local_.pop();
      if (!x) break;
      x->qnext_ = nullptr;
      if (last) last->qnext_ = x;
      else first = x;
      last = x;
      ++n;
    }
    t->qnext_ = nullptr;
    if (last) last->qnext_ = t;
    else first = t;
    last = t;
    rt_.global_push_batch(first, last, n + 1);
  }
  local_depth_.store(local_.size(), std::memory_order_relaxed);
}

void LoopImpl::push_task(TaskBase* t, bool wake) noexcept {
  t->loop_.store(this, std::memory_order_relaxed);
  if (t->pinned_) {
    fifo_push(t);
    return;
  }
  if (wake && lifo_enabled_ && current_) {
    // The LIFO slot is not stealable, so filling it gives idle loops nothing
    // to do: wake one only if the slot's previous task went to the ring
    // (Tokio's schedule_local). Notifying on every wake made an idle loop
    // unpark, search, find nothing and park again once per message.
    TaskBase* prev = std::exchange(lifo_slot_, t);
    if (!prev) return;
    ring_push(prev);
  } else {
    ring_push(t);
  }
  rt_.notify_parked_if_no_searchers();
}

void LoopImpl::drain_inbox() {
  QueueLink* n = inbox_.take_all();
  std::uint64_t count = 0;
  while (n) {
    QueueLink* next = n->qnext_;
    ++count;
    switch (n->kind_) {
    case QueueLink::Kind::task: push_task(static_cast<TaskBase*>(n), false); break;
    case QueueLink::Kind::callback: fifo_push(n); break;
    case QueueLink::Kind::timer: add_timer(static_cast<HandleState*>(n)); break;
    }
    n = next;
  }
  if (count) counters_.bump(counters_.inbox_received, count);
}

bool LoopImpl::pull_global() {
  const std::size_t room = local_queue_capacity - local_.size();
  if (rt_.global_size() == 0 || room == 0) return false;
  const std::size_t want = std::min({global_batch_max, room, rt_.global_size() / rt_.num_loops() + 1});
  TaskBase* first = nullptr;
  const std::size_t n = rt_.global_pop_batch(first, want);
  for (TaskBase* t = first; t;) {
    TaskBase* next = static_cast<TaskBase*>(t->qnext_);
    t->qnext_ = nullptr;
    t->loop_.store(this, std::memory_order_relaxed);
    ring_push(t);
    t = next;
  }
  return n > 0;
}

bool LoopImpl::try_steal() {
  if (!stealing_) return false;
  bool found = pull_global();
  if (found || rt_.num_loops() < 2 || !rt_.try_begin_search()) return found;
  const std::size_t n = rt_.num_loops();
  // xorshift64: a cheap random start so thieves spread over victims.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const std::size_t start = rng_ % n;
  for (std::size_t i = 0; i < n && !found; ++i) {
    LoopImpl& victim = rt_.loop((start + i) % n);
    if (&victim == this) continue;
    counters_.bump(counters_.steal_attempts);
    if (const std::size_t got = victim.steal_into(*this)) {
      counters_.bump(counters_.steals);
      counters_.bump(counters_.tasks_stolen, got);
      found = true;
    }
  }
  if (!found) found = pull_global();
  local_depth_.store(local_.size(), std::memory_order_relaxed);
  if (rt_.end_search() && found) rt_.notify_one_parked();
  return found;
}

// ---------------------------------------------------------------- timers and IO

void LoopImpl::add_timer(HandleState* h) {
  // The reference taken by post() now belongs to the heap.
  h->ticket_ = next_ticket();
  timers_.push_back(Ref<HandleState>::adopt(h));
  std::push_heap(timers_.begin(), timers_.end(), TimerLater{});
}

void LoopImpl::compact_timers() {
  std::erase_if(timers_, [](const Ref<HandleState>& h) { return h->cancelled(); });
  std::make_heap(timers_.begin(), timers_.end(), TimerLater{});
  cancelled_timers_.store(0, std::memory_order_relaxed);
}

void LoopImpl::fire_timers() {
  // asyncio: rebuild the heap when > 100 timers and over half are cancelled.
  const std::size_t cancelled = cancelled_timers_.load(std::memory_order_relaxed);
  if (timers_.size() > 100 && cancelled * 2 > timers_.size()) compact_timers();
  if (timers_.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t fired = 0;
  while (!timers_.empty() && timers_.front()->when_ <= now) {
    std::pop_heap(timers_.begin(), timers_.end(), TimerLater{});
    Ref<HandleState> h = std::move(timers_.back());
    timers_.pop_back();
    if (h->cancelled()) continue;
    ++fired;
    // Due timers join the ready FIFO behind what is already ready (asyncio).
    fifo_push(h.detach());
  }
  if (fired) counters_.bump(counters_.timers_fired, fired);
}

void LoopImpl::poll_io() {
  const std::size_t n = io_.poll();
  if (n) counters_.bump(counters_.io_events, n);
}

// ---------------------------------------------------------------- io_uring

void LoopImpl::start_uring() {
  if (!rt_.config().io_uring) return;
  uring_ = LoopUring::create(uring_entries);
  if (!uring_) return;
  try {
    // A dup: the stream_descriptor closes its fd, the ring closes its own.
    const int fd = ::fcntl(uring_->event_fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup");
    try {
      uring_watch_.emplace(io_, fd);
    } catch (...) {
      ::close(fd);
      throw;
    }
  } catch (const std::exception& e) {
    log().warn("loop {}: cannot watch the io_uring eventfd ({}); socket reads use the epoll reactor", index_,
               e.what());
    uring_.reset();
  }
}

void LoopImpl::stop_uring() noexcept {
  if (!uring_) return;
  uring_watch_.reset();
  uring_.reset(); // cancels and reaps what is still in flight (uring.hpp)
}

void LoopImpl::pass_uring() {
  const std::size_t n = uring_->pass();
  if (n) counters_.bump(counters_.uring_completions, n);
  counters_.uring_submits.store(uring_->submitted(), std::memory_order_relaxed);
}

bool LoopImpl::prepare_uring_park() {
  uring_->submit();
  if (!uring_->in_flight()) return false;
  if (!uring_watch_armed_) {
    uring_watch_armed_ = true;
    uring_watch_->async_wait(boost::asio::posix::descriptor_base::wait_read,
                             [this](const boost::system::error_code& ec) {
                               uring_watch_armed_ = false;
                               // Reset the count: Asio re-arms a wait with
                               // EPOLL_CTL_MOD, which reports a still-readable
                               // eventfd at once (a wake-up per park).
                               std::uint64_t count = 0;
                               if (!ec) (void)!::read(uring_watch_->native_handle(), &count, sizeof count);
                             });
  }
  // Checked after arming and switching the eventfd on: completion work that
  // arrived before is seen here (IORING_SQ_TASKRUN or posted completions);
  // work that arrives after signals the eventfd, which completes the wait.
  uring_->wakeups(true);
  return uring_->work_pending();
}

void LoopImpl::park() {
  const bool idle_registry = stealing_ && rt_.num_loops() > 1;
  // SeqCst: first half of the Dekker pair with Inbox::push / unpark().
  parked_.store(true, std::memory_order_seq_cst);
  if (idle_registry) rt_.register_idle(this);
  const bool completions = uring_ && prepare_uring_park();
  const bool work = completions || !inbox_.empty_seq_cst() || (idle_registry && rt_.global_size() > 0) ||
                    stop_requested_.load(std::memory_order_acquire);
  if (!work) {
    // Drop cancelled timers at the top of the heap so they do not wake us.
    while (!timers_.empty() && timers_.front()->cancelled()) {
      std::pop_heap(timers_.begin(), timers_.end(), TimerLater{});
      timers_.pop_back();
    }
    if (!timers_.empty() && timers_.front()->when_ != armed_for_) {
      armed_for_ = timers_.front()->when_;
      wake_timer_.expires_at(armed_for_);
      wake_timer_.async_wait([this](const boost::system::error_code&) {
        armed_for_ = std::chrono::steady_clock::time_point::max();
      });
    }
    counters_.bump(counters_.parks);
    const std::size_t n = io_.run_one();
    if (n) counters_.bump(counters_.io_events, n);
  }
  if (uring_) uring_->wakeups(false);
  parked_.store(false, std::memory_order_relaxed);
  if (idle_registry) rt_.unregister_idle(this);
}

// ---------------------------------------------------------------- running things

void LoopImpl::run_callback(HandleState* h) {
  Ref<HandleState> ref = Ref<HandleState>::adopt(h); // the queue's reference
  if (h->cancelled()) return;
  counters_.bump(counters_.callbacks_run);
  const bool debug = debug_.load(std::memory_order_relaxed);
  const auto t0 = debug ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  h->ran_.store(true, std::memory_order_release); // Release: pairs with sleep()'s Acquire poll
  try {
    h->fn_();
  } catch (...) {
    facade_.call_exception_handler({.message = "Exception in callback", .exception = std::current_exception()});
  }
  h->fn_ = nullptr; // captures die now, on this loop
  if (debug) {
    const auto took = std::chrono::steady_clock::now() - t0;
    if (took >= rt_.config().slow_callback_duration)
      log().warn("Executing callback took {:.3f} seconds", std::chrono::duration<double>(took).count());
  }
}

namespace {
/// Entry of every task fiber. Runs the body, then jumps back for good.
[[noreturn]] void fiber_entry(ctx::transfer_t from) noexcept {
  auto* t = static_cast<TaskBase*>(from.data);
  t->caller_ = from.fctx;
  sanitizer::finish_switch(nullptr);
  try {
    t->run_body();
  } catch (const ForcedUnwind&) {
    // Teardown of a task that could not be finished: its frames are unwound.
  } catch (...) {
    internal_error("exception escaped a task body");
  }
  t->fiber_done_ = true; // switch_to_loop tells ASan this stack is finished
  LoopImpl::switch_to_loop(t);
  internal_error("a finished task was resumed");
}
} // namespace

void LoopImpl::switch_to_loop(TaskBase* t) noexcept {
  LoopImpl* loop = current_loop();
  sanitizer::start_switch(t->fiber_done_ ? nullptr : &t->asan_fake_stack_, loop->thread_stack_lo_,
                          loop->thread_stack_size_);
  sanitizer::tsan_switch_to(loop->tsan_fiber_);
  ctx::transfer_t back = ctx::jump_fcontext(t->caller_, nullptr);
  // Resumed, possibly by another loop's thread: its context is our new caller.
  t->caller_ = back.fctx;
  sanitizer::finish_switch(t->asan_fake_stack_);
}

void LoopImpl::run_task(TaskBase* t) {
  current_ = t;
  t->loop_.store(this, std::memory_order_relaxed);
  // Rule 2 (task_base.hpp): we popped it, so we own the SCHEDULED -> RUNNING move.
  if (const std::uint32_t prev = t->state_.exchange(RUNNING, std::memory_order_acquire); prev != SCHEDULED)
    internal_error("a task was run in state " + std::to_string(prev) + ", not SCHEDULED (queued twice?)");
  counters_.bump(counters_.tasks_run);

  if (!t->started_) {
    t->started_ = true;
    if (t->must_cancel_.load(std::memory_order_acquire)) {
      // Cancelled before it ever ran: the body never starts (asyncio).
      std::string msg;
      {
        std::lock_guard g(t->lock_);
        t->must_cancel_.store(false, std::memory_order_relaxed);
        msg = std::move(t->cancel_msg_);
      }
      t->finish_cancelled(std::move(msg));
      finish_task(t);
      return;
    }
    Stack s = stacks_.get();
    t->stack_lo_ = s.lo;
    t->stack_len_ = s.len;
    t->stack_guard_ = s.guard;
    t->tsan_fiber_ = sanitizer::tsan_create_fiber();
    sanitizer::unpoison_stack(static_cast<char*>(s.top()) - s.usable(), s.usable());
    t->fctx_ = ctx::make_fcontext(s.top(), s.usable(), fiber_entry);
  }

  const bool debug = debug_.load(std::memory_order_relaxed);
  const auto t0 = debug ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  sanitizer::start_switch(&asan_fake_stack_, static_cast<char*>(t->stack_lo_) + t->stack_guard_,
                          t->stack_len_ - t->stack_guard_);
  sanitizer::tsan_switch_to(t->tsan_fiber_);
  swap_eh_state(t->eh_); // the task's caught/uncaught exceptions in, this thread's out
  ctx::transfer_t back = ctx::jump_fcontext(t->fctx_, t);
  swap_eh_state(t->eh_); // and back: the task keeps its own until it runs again
  sanitizer::finish_switch(asan_fake_stack_);
  t->fctx_ = back.fctx;
  current_ = nullptr;
  if (debug) {
    const auto took = std::chrono::steady_clock::now() - t0;
    if (took >= rt_.config().slow_callback_duration)
      log().warn("Executing task '{}' took {:.3f} seconds", t->name(), std::chrono::duration<double>(took).count());
  }

  if (t->fiber_done_) {
    finish_task(t);
    return;
  }
  if (yield_front_) {
    // Eager start: the task stepped aside for a child that must run first.
    yield_front_ = false;
    t->state_.store(SCHEDULED, std::memory_order_relaxed);
    front_.insert(front_.end() - 1, t); // below the child pushed by run_eagerly()
    return;
  }
  // Rule 3: RUNNING -> idle, unless woken meanwhile (NOTIFIED): then requeue.
  std::uint32_t s = t->state_.load(std::memory_order_acquire);
  for (;;) {
    if (s & NOTIFIED) {
      t->state_.store(SCHEDULED, std::memory_order_relaxed);
      if (fifo_head_) {
        // Callbacks are queued here (a future's done callbacks, call_soon):
        // asyncio runs them before a task that yields resumes, so the task
        // waits behind them on this loop for one turn instead of going to
        // the stealable ring, where another loop could resume it first.
        t->loop_.store(this, std::memory_order_relaxed);
        fifo_push(t);
        return;
      }
      push_task(t, false);
      return;
    }
    // Release: our writes to the task (fctx_) happen-before a waker's queueing
    // of it; pairs with the Acquire load in TaskBase::wake().
    if (t->state_.compare_exchange_weak(s, 0, std::memory_order_release, std::memory_order_acquire)) return;
  }
}

void LoopImpl::finish_task(TaskBase* t) {
  t->state_.store(COMPLETE, std::memory_order_release);
  if (t->stack_lo_) {
    stacks_.put(Stack{t->stack_lo_, t->stack_len_, t->stack_guard_});
    t->stack_lo_ = nullptr;
    sanitizer::tsan_destroy_fiber(std::exchange(t->tsan_fiber_, nullptr));
  }
  rt_.unregister_task(t); // may free t
}

void LoopImpl::run_eagerly(TaskBase* child) noexcept {
  child->loop_.store(this, std::memory_order_relaxed);
  front_.push_back(child);
  yield_front_ = true;
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
  m.local_queue_depth = local_depth_.load(std::memory_order_relaxed);
  m.callback_queue_depth = fifo_depth_.load(std::memory_order_relaxed);
}

} // namespace coreio::detail

namespace coreio::detail {

void HandleState::on_cancel() noexcept {
  // A cancelled timer stays in its heap until it reaches the top or the heap
  // is compacted; the count tells fire_timers() when compaction pays off.
  if (kind_ == QueueLink::Kind::timer)
    if (LoopImpl* l = timer_loop_) l->note_timer_cancelled();
}

} // namespace coreio::detail
