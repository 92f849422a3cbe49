// RuntimeImpl (runtime_impl.hpp) and the public Runtime / Loop facades.
#include "runtime/runtime_impl.hpp"

#include <algorithm>
#include <latch>
#include <pthread.h>
#include <string>
#include <thread>

#include "coreio/context_var.hpp"
#include "coreio/detail/asio_loop.hpp"
#include "runtime/env.hpp"
#include "runtime/log.hpp"
#include "fiber/overflow.hpp"

namespace coreio::detail {

namespace {
std::size_t resolve_loops(std::size_t n) {
  if (n) return n;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? hw : 1;
}

/// The two variables every Runtime honours (runtime_config.hpp, from_env):
/// COREIO_DEBUG=1 turns debug on, COREIO_IO_URING=0 turns io_uring off. Only
/// in that direction, and a value that does not parse is logged and ignored:
/// a diagnostics switch must not make a Runtime fail to start.
void apply_runtime_env(RuntimeConfig& cfg) {
  const auto apply = [](const char* var, bool when, bool& field) {
    const auto v = env_value(var);
    if (!v) return;
    if (const auto b = parse_bool(*v)) {
      if (*b == when) field = when;
    } else {
      log().warn("{}='{}' is not 0/1, true/false, yes/no or on/off; ignored", var, *v);
    }
  };
  apply("COREIO_DEBUG", true, cfg.debug);
  apply("COREIO_IO_URING", false, cfg.io_uring);
}

std::string shape_name(const RuntimeConfig& cfg, bool stealing) {
  if (cfg.loops == 1) return "single loop";
  return stealing ? "work-stealing" : "shared-nothing";
}

/// Runs a RuntimeConfig thread hook; an exception it throws is logged.
void run_thread_hook(const std::function<void(std::size_t)>& hook, const char* which, std::size_t index) noexcept {
  if (!hook) return;
  try {
    hook(index);
  } catch (...) {
    log().error("RuntimeConfig::{} threw on loop {}: {}", which, index, describe_exception(std::current_exception()));
  }
}
} // namespace

RuntimeImpl::RuntimeImpl(Runtime& facade, RuntimeConfig cfg)
    : facade_(facade), cfg_(std::move(cfg)), stacks_(cfg_.stack_size, cfg_.guard_pages),
      blocking_(ThreadPool::Options{.max_threads = std::max<std::size_t>(1, cfg_.max_blocking_threads),
                                    .keep_alive = cfg_.blocking_keep_alive,
                                    .thread_name = cfg_.name + "-blocking",
                                    .shutdown_message = "Executor shutdown has been called"}) {
  cfg_.loops = resolve_loops(cfg_.loops);
  apply_runtime_env(cfg_);
  stealing_ = cfg_.stealing && cfg_.loops > 1;
  placement_ = cfg_.placement.value_or(stealing_ ? Placement::local : Placement::round_robin);
  lifo_ = stealing_ && cfg_.lifo_slot.value_or(true);
  shards_ = std::vector<Shard>(cfg_.loops + 1);
  loops_.reserve(cfg_.loops);
  for (std::size_t i = 0; i < cfg_.loops; ++i) loops_.push_back(Ref<LoopImpl>::adopt(new LoopImpl(*this, i)));
  install_overflow_handler();
}

RuntimeImpl::~RuntimeImpl() {
  close();
  // Every loop's queue is emptied while every io_context still exists (see
  // LoopImpl::drop_queued; ASan caught the use-after-free this prevents).
  // Twice: a dropped callback's destructor may queue another.
  for (int pass = 0; pass < 2; ++pass)
    for (auto& l : loops_) l->drop_queued();
}

void RuntimeImpl::start() {
  log_shape();
  threads_.reserve(loops_.size());
  // Returns once every loop thread has set itself up (its on_thread_start hook
  // and its io_uring included), so the resources a runtime holds are all there
  // when its first task runs.
  std::latch ready(static_cast<std::ptrdiff_t>(loops_.size()));
  for (auto& l : loops_) {
    threads_.emplace_back([this, l = l.get(), &ready] {
      // Named before the hook runs, so the hook (a profiler registering the
      // thread, say) sees "<name>-<i>".
      const std::string name = cfg_.name + "-" + std::to_string(l->index());
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      run_thread_hook(cfg_.on_thread_start, "on_thread_start", l->index());
      log().trace("loop {} thread '{}' started", l->index(), name);
      l->thread_main(ready);
      log().trace("loop {} thread '{}' stopped", l->index(), name);
      run_thread_hook(cfg_.on_thread_stop, "on_thread_stop", l->index());
    });
  }
  ready.wait();
  // The latch orders every loop's setup (uring_ included) before this read.
  std::size_t with_uring = 0;
  for (auto& l : loops_) with_uring += l->uring() != nullptr;
  if (!cfg_.io_uring)
    log().debug("io_uring off (RuntimeConfig::io_uring = false or COREIO_IO_URING=0): socket reads use epoll");
  else if (with_uring == loops_.size())
    log().debug("io_uring on for all {} loops", loops_.size());
  else
    log().debug("io_uring on for {} of {} loops (the debug lines above say why not): socket reads use epoll there",
                with_uring, loops_.size());
  log().debug("runtime '{}' started: {} loop threads running", cfg_.name, loops_.size());
}

void RuntimeImpl::log_shape() const {
  if (!log().should_log(spdlog::level::debug)) return;
  log().debug("runtime '{}': {} loops, {}, placement {}, LIFO slot {}, pin_threads {}, debug {}", cfg_.name,
              cfg_.loops, shape_name(cfg_, stealing_), placement_ == Placement::local ? "local" : "round_robin",
              lifo_ ? "on" : "off", cfg_.pin_threads ? "on" : "off", cfg_.debug ? "on" : "off");
  if (cfg_.guard_pages)
    log().debug("task stacks: {} KiB each, one mapping with a guard page per stack (about 30,000 suspended "
                "tasks fit under the default vm.max_map_count; see docs/tuning.md), {} cached per loop",
                cfg_.stack_size / 1024, cfg_.stack_cache_per_loop);
  else
    log().debug("task stacks: {} KiB each, carved from slabs without guard pages (an overflow corrupts memory), "
                "{} cached per loop",
                cfg_.stack_size / 1024, cfg_.stack_cache_per_loop);
  log().debug("blocking pool: up to {} threads, idle ones retire after {} ms", cfg_.max_blocking_threads,
              cfg_.blocking_keep_alive.count());
}

LoopImpl& RuntimeImpl::next_loop() noexcept {
  return *loops_[rr_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

// ---------------------------------------------------------------- global queue

void RuntimeImpl::global_push_batch(TaskBase* first, TaskBase* last, std::size_t n) {
  {
    std::lock_guard g(global_mu_);
    if (global_tail_) global_tail_->qnext_ = first;
    else global_head_ = first;
    global_tail_ = last;
    last->qnext_ = nullptr;
    // SeqCst: read by park()'s final check; see "Searching and waking" rule 4.
    global_size_.fetch_add(n, std::memory_order_seq_cst);
  }
  notify_parked_if_no_searchers();
}

std::size_t RuntimeImpl::global_pop_batch(TaskBase*& first, std::size_t max) {
  first = nullptr;
  if (max == 0) return 0;
  std::lock_guard g(global_mu_);
  std::size_t n = 0;
  TaskBase* last = nullptr;
  for (TaskBase* t = global_head_; t && n < max; t = static_cast<TaskBase*>(t->qnext_)) {
    last = t;
    ++n;
  }
  if (!n) return 0;
  first = global_head_;
  global_head_ = static_cast<TaskBase*>(last->qnext_);
  if (!global_head_) global_tail_ = nullptr;
  last->qnext_ = nullptr;
  global_size_.fetch_sub(n, std::memory_order_seq_cst);
  return n;
}

// ---------------------------------------------------------------- idle / searching

bool RuntimeImpl::try_begin_search() noexcept {
  // Rule 1: at most half the loops search at once.
  std::size_t s = num_searching_.load(std::memory_order_relaxed);
  for (;;) {
    if (2 * s >= loops_.size()) return false;
    if (num_searching_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_relaxed))
      return true;
  }
}

bool RuntimeImpl::end_search() noexcept {
  // AcqRel: pairs with the load in notify_parked_if_no_searchers().
  return num_searching_.fetch_sub(1, std::memory_order_acq_rel) == 1;
}

void RuntimeImpl::notify_parked_if_no_searchers() noexcept {
  // Rule 3. Relaxed loads: a stale answer only costs a redundant or a skipped
  // wake-up, and a skipped one is covered by the searcher or by rule 4.
  if (num_idle_.load(std::memory_order_relaxed) == 0) return;
  if (num_searching_.load(std::memory_order_relaxed) != 0) return;
  notify_one_parked();
}

void RuntimeImpl::notify_one_parked() noexcept {
  LoopImpl* l = nullptr;
  {
    std::lock_guard g(idle_mu_);
    if (idle_.empty()) return;
    l = idle_.back();
    idle_.pop_back();
    num_idle_.store(idle_.size(), std::memory_order_relaxed);
  }
  l->unpark();
}

void RuntimeImpl::register_idle(LoopImpl* l) {
  std::lock_guard g(idle_mu_);
  idle_.push_back(l);
  num_idle_.store(idle_.size(), std::memory_order_relaxed);
}

void RuntimeImpl::unregister_idle(LoopImpl* l) {
  std::lock_guard g(idle_mu_);
  if (auto it = std::find(idle_.begin(), idle_.end(), l); it != idle_.end()) idle_.erase(it);
  num_idle_.store(idle_.size(), std::memory_order_relaxed);
}

// ---------------------------------------------------------------- registry

void RuntimeImpl::register_task(TaskBase* t) {
  t->add_ref(); // the runtime's reference (task_base.hpp)
  LoopImpl* here = current_loop();
  const std::size_t shard = here && &here->runtime() == this ? here->index() : loops_.size();
  t->reg_shard_ = static_cast<std::uint32_t>(shard);
  Shard& s = shards_[shard];
  std::lock_guard g(s.mu);
  t->reg_prev_ = nullptr;
  t->reg_next_ = s.head;
  if (s.head) s.head->reg_prev_ = t;
  s.head = t;
  live_tasks_.fetch_add(1, std::memory_order_relaxed);
}

void RuntimeImpl::unregister_task(TaskBase* t) {
  {
    Shard& s = shards_[t->reg_shard_];
    std::lock_guard g(s.mu);
    (t->reg_prev_ ? t->reg_prev_->reg_next_ : s.head) = t->reg_next_;
    if (t->reg_next_) t->reg_next_->reg_prev_ = t->reg_prev_;
    t->reg_prev_ = t->reg_next_ = nullptr;
  }
  live_tasks_.fetch_sub(1, std::memory_order_relaxed);
  t->release();
}

std::vector<TaskHandle> RuntimeImpl::all_tasks() {
  std::vector<TaskHandle> out;
  for (Shard& s : shards_) {
    std::lock_guard g(s.mu);
    for (TaskBase* t = s.head; t; t = t->reg_next_)
      if (!t->done()) out.emplace_back(Ref<FutureStateBase>::share(t));
  }
  return out;
}

// ---------------------------------------------------------------- close

void RuntimeImpl::close() {
  std::lock_guard g(close_mu_);
  if (closed_.load(std::memory_order_acquire)) return;
  if (current_loop() && &current_loop()->runtime() == this)
    internal_error("Runtime::close() called from one of its own loop threads");
  closing_.store(true, std::memory_order_release);
  // asyncio.run's _cancel_all_tasks: cancel, wait for all, report failures.
  // Repeat: a cancelled task may spawn more tasks while it unwinds.
  for (;;) {
    std::vector<TaskHandle> tasks = all_tasks();
    if (tasks.empty()) break;
    for (auto& t : tasks) t.cancel();
    for (auto& t : tasks) {
      t.wait();
      if (t.cancelled()) continue;
      if (std::exception_ptr e = t.exception()) {
        loop(0).facade().call_exception_handler(
            {.message = "unhandled exception during coreio::run() shutdown", .exception = e, .task = t.get_name()});
      }
    }
  }
  // asyncio.run's shutdown_default_executor(): wait for the blocking pool's
  // running and queued jobs (those of cancelled awaiters are skipped) while
  // the loops still run, so their completions can still be delivered.
  blocking_.shutdown(/*wait=*/true, /*cancel_futures=*/false);
  log().debug("runtime '{}' closing: tasks done, blocking pool drained, stopping {} loops", cfg_.name, loops_.size());
  for (auto& l : loops_) l->request_stop();
  for (auto& th : threads_) th.join();
  threads_.clear();
  closed_.store(true, std::memory_order_release);
  log().debug("runtime '{}' closed", cfg_.name);
}

} // namespace coreio::detail

// ==================================================================== facades

namespace coreio {

using detail::LoopImpl;
using detail::RuntimeImpl;

Runtime::Runtime(RuntimeConfig config) : impl_(std::make_unique<RuntimeImpl>(*this, std::move(config))) {
  impl_->start();
}

Runtime::~Runtime() { close(); }

void Runtime::close() {
  check_not_on_loop_thread("close");
  impl_->close();
}
bool Runtime::is_closed() const noexcept { return impl_->closed(); }

Loop& Runtime::loop(std::size_t i) const {
  if (i >= impl_->num_loops()) throw std::out_of_range("Runtime::loop: no loop " + std::to_string(i));
  return impl_->loop(i).facade();
}
std::size_t Runtime::num_loops() const noexcept { return impl_->num_loops(); }
const RuntimeConfig& Runtime::config() const noexcept { return impl_->config(); }

Metrics Runtime::metrics() const {
  Metrics m;
  m.loops.resize(impl_->num_loops());
  for (std::size_t i = 0; i < m.loops.size(); ++i) impl_->loop(i).fill_metrics(m.loops[i]);
  m.global_queue_depth = impl_->global_size();
  m.live_tasks = impl_->live_tasks();
  return m;
}

Runtime* Runtime::current() noexcept {
  LoopImpl* l = detail::current_loop();
  return l ? &l->runtime().facade() : nullptr;
}

void Runtime::check_not_on_loop_thread(const char* what) const {
  LoopImpl* l = detail::current_loop();
  if (l && &l->runtime() == impl_.get())
    throw RuntimeError(std::string("Runtime::") + what + "() cannot be called from one of its own loops");
  if (l && std::string_view(what) == "block_on")
    throw RuntimeError("coreio::run() cannot be called from a running event loop");
}

// ---------------------------------------------------------------- Loop

Handle Loop::call_soon_impl(detail::Function<void()> fn) {
  if (is_closed()) throw RuntimeError("Event loop is closed");
  auto h = detail::Ref<detail::HandleState>::adopt(new detail::HandleState(std::move(fn)));
  impl_->post(h.get());
  return Handle(std::move(h));
}

TimerHandle Loop::call_at_impl(time_point when, detail::Function<void()> fn) {
  if (is_closed()) throw RuntimeError("Event loop is closed");
  auto h = detail::Ref<detail::HandleState>::adopt(
      new detail::HandleState(std::move(fn), detail::QueueLink::Kind::timer));
  h->when_ = when;
  impl_->post(h.get());
  return TimerHandle(std::move(h));
}

void Loop::bind_future(detail::FutureStateBase& state) noexcept { state.bind_loop(impl_); }

void Loop::wait_until_complete(detail::FutureStateBase& state) {
  if (detail::current_loop())
    throw RuntimeError("run_until_complete() cannot be called from a running event loop; use get()");
  std::uint64_t gen;
  {
    std::lock_guard g(impl_->stop_mu_);
    gen = impl_->stop_gen_;
  }
  // Runs on the future's loop (or inline if it has none) and wakes us.
  const std::uint64_t id = state.add_done_callback([l = impl_](detail::FutureStateBase*) {
    std::lock_guard g(l->stop_mu_);
    l->stop_cv_.notify_all();
  });
  std::unique_lock lk(impl_->stop_mu_);
  impl_->stop_cv_.wait(lk, [&] { return state.done() || impl_->stop_gen_ != gen; });
  lk.unlock();
  state.remove_done_callback(id);
  if (!state.done()) throw RuntimeError("Event loop stopped before Future completed.");
}

void Loop::run_forever() {
  if (detail::current_loop()) throw RuntimeError("run_forever() cannot be called from a running event loop");
  if (is_closed()) throw RuntimeError("Event loop is closed");
  std::unique_lock lk(impl_->stop_mu_);
  if (std::exchange(impl_->stop_pending_, false)) return; // stopped before it ran
  const std::uint64_t gen = impl_->stop_gen_;
  impl_->stop_cv_.wait(lk, [&] { return impl_->stop_gen_ != gen || is_closed(); });
  impl_->stop_pending_ = false; // this stop() was for us
}

void Loop::stop() {
  std::lock_guard g(impl_->stop_mu_);
  ++impl_->stop_gen_;
  impl_->stop_pending_ = true;
  impl_->stop_cv_.notify_all();
}

void Loop::close() {
  if (!is_closed()) throw RuntimeError("Cannot close a running event loop (loops close with their Runtime)");
}

bool Loop::is_running() const noexcept { return !impl_->runtime().closed(); }
bool Loop::is_closed() const noexcept { return impl_->runtime().closed(); }

void Loop::set_exception_handler(ExceptionHandler handler) {
  std::lock_guard g(impl_->handler_mu_);
  impl_->handler_ = std::move(handler);
}

Loop::ExceptionHandler Loop::get_exception_handler() const {
  std::lock_guard g(impl_->handler_mu_);
  return impl_->handler_;
}

void Loop::call_exception_handler(const ExceptionContext& context) {
  ExceptionHandler h = get_exception_handler();
  if (!h) {
    default_exception_handler(context);
    return;
  }
  try {
    h(*this, context);
  } catch (...) {
    // asyncio: a failing handler is reported, then the default one runs.
    default_exception_handler({.message = "Unhandled error in exception handler", .exception = std::current_exception()});
    default_exception_handler(context);
  }
}

void Loop::default_exception_handler(const ExceptionContext& context) {
  const std::string what = context.exception ? ": " + detail::describe_exception(context.exception) : "";
  detail::log().error("{}{}{}{}", context.message, context.task.empty() ? "" : " (task '" + context.task + "')",
                      context.future.empty() ? "" : " (" + context.future + ")", what);
}

void Loop::set_debug(bool enabled) noexcept { impl_->debug_.store(enabled, std::memory_order_relaxed); }
bool Loop::get_debug() const noexcept { return impl_->debug_.load(std::memory_order_relaxed); }
std::size_t Loop::index() const noexcept { return impl_->index(); }
Runtime& Loop::runtime() const noexcept { return impl_->runtime().facade(); }
boost::asio::io_context& Loop::io_context() const noexcept { return impl_->io_; }

Loop& get_running_loop() {
  LoopImpl* l = detail::current_loop();
  if (!l) throw RuntimeError("no running event loop");
  return l->facade();
}

Loop& get_event_loop() { return get_running_loop(); }

} // namespace coreio

namespace coreio::detail {
boost::asio::io_context& io_context_of(Loop& loop) noexcept { return loop.impl().io_; }
} // namespace coreio::detail
