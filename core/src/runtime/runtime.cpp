// RuntimeImpl (runtime_impl.hpp): the runtime's shape, start and close; and
// the public Runtime facade. The Loop facade is loop_facade.cpp, the task
// registry registry.cpp.
#include "runtime/runtime_impl.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <latch>
#include <pthread.h>
#include <string>
#include <thread>

#if defined(__SANITIZE_ADDRESS__)
#define COREIO_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COREIO_LSAN 1
#endif
#endif
#ifndef COREIO_LSAN
#define COREIO_LSAN 0
#endif
#if COREIO_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#include "coreio/context_var.hpp"
#include "fiber/fiber_frame.hpp"
#include "fiber/stack_pool.hpp"
#include "runtime/env.hpp"
#include "runtime/log.hpp"
#include "fiber/overflow.hpp"

namespace coreio::detail {

namespace {
RuntimeConfig resolve_loops(RuntimeConfig cfg) {
  if (cfg.loops == 0) {
    const unsigned hw = std::thread::hardware_concurrency();
    cfg.loops = hw ? hw : 1;
  }
  return cfg;
}

/// The variables every Runtime honours (runtime_config.hpp, from_env):
/// COREIO_DEBUG=1 turns debug on, COREIO_IO_URING=0 turns io_uring off (only
/// in that direction), COREIO_STALL_THRESHOLD sets the stall detector's
/// threshold (0 = off). A value that does not parse is logged and ignored:
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
  if (const auto v = env_value("COREIO_STALL_THRESHOLD")) {
    if (const auto d = parse_duration(*v)) cfg.stall_threshold = *d;
    else log().warn("COREIO_STALL_THRESHOLD='{}' is not a duration such as 100ms, 2s or 500us; ignored", *v);
  }
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
    : facade_(facade), cfg_(resolve_loops(std::move(cfg))), stacks_(cfg_.stack_size, cfg_.guard_pages),
      blocking_(ThreadPool::Options{.max_threads = std::max<std::size_t>(1, cfg_.max_blocking_threads),
                                    .keep_alive = cfg_.blocking_keep_alive,
                                    .thread_name = cfg_.name + "-blocking",
                                    .shutdown_message = "Executor shutdown has been called"}),
      idle_(cfg_.loops) {
  apply_runtime_env(cfg_);
  stealing_ = cfg_.stealing && cfg_.loops > 1;
  placement_ = cfg_.placement.value_or(stealing_ ? Placement::local : Placement::round_robin);
  lifo_ = stealing_ && cfg_.lifo_slot.value_or(true);
  shards_ = std::vector<Shard>(cfg_.loops + 1);
  probes_ = std::make_unique<StallProbe[]>(cfg_.loops);
  loops_.reserve(cfg_.loops);
  for (std::size_t i = 0; i < cfg_.loops; ++i) loops_.push_back(Ref<LoopImpl>::adopt(new LoopImpl(*this, i)));
  // Work stealing: each loop may steal from every other (sched/steal.hpp);
  // in the other shapes no loop has victims.
  if (stealing_)
    for (auto& l : loops_) {
      std::vector<ReadyQueue*> victims;
      for (auto& v : loops_)
        if (v != l) victims.push_back(&v->ready());
      l->set_victims(std::move(victims));
    }
  install_overflow_handler();
}

RuntimeImpl::~RuntimeImpl() {
  close(cfg_.shutdown_timeout);
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
      probes_[l->index()].attach_this_thread();
      l->thread_main(ready);
      StallProbe::detach_this_thread();
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
  else if (with_uring == loops_.size()) log().debug("io_uring on for all {} loops", loops_.size());
  else
    log().debug("io_uring on for {} of {} loops (the debug lines above say why not): socket reads use epoll there",
                with_uring, loops_.size());
  if (cfg_.stall_threshold > std::chrono::nanoseconds::zero())
    watchdog_ = std::make_unique<StallWatchdog>(*this, cfg_.stall_threshold);
  log().debug("runtime '{}' started: {} loop threads running", cfg_.name, loops_.size());
}

void RuntimeImpl::log_shape() const {
  if (!log().should_log(spdlog::level::debug)) return;
  log().debug("runtime '{}': {} loops, {}, placement {}, LIFO slot {}, pin_threads {}, debug {}", cfg_.name, cfg_.loops,
              shape_name(cfg_, stealing_), placement_ == Placement::local ? "local" : "round_robin",
              lifo_ ? "on" : "off", cfg_.pin_threads ? "on" : "off", cfg_.debug ? "on" : "off");
  if (cfg_.guard_pages)
    log().debug(
        "task stacks: {} KiB each, one mapping with a guard page per stack up to a quarter of "
        "vm.max_map_count (about 16,000 under the default), canary-checked slab stacks past it "
        "(see docs/tuning.md), {} cached per loop",
        cfg_.stack_size / 1024, cfg_.stack_cache_per_loop);
  else
    log().debug(
        "task stacks: {} KiB each, carved from slabs of {} (overflow caught by a canary at the task's next "
        "suspension or when it faults; see docs/tuning.md), {} cached per loop",
        cfg_.stack_size / 1024, slab_stacks, cfg_.stack_cache_per_loop);
  log().debug("blocking pool: up to {} threads, idle ones retire after {} ms", cfg_.max_blocking_threads,
              cfg_.blocking_keep_alive.count());
}

LoopImpl& RuntimeImpl::next_loop() noexcept {
  return *loops_[rr_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

// ---------------------------------------------------------------- close
//
// close() is asyncio.run's shutdown, optionally bounded (shutdown_timeout):
//  1. Cancel every registered task and wait for each, reporting failures
//     other than cancellation to loop 0's exception handler. Repeat: a
//     cancelled task may spawn more tasks while it unwinds.
//  2. With a bound, the waits of step 1 end at the deadline. The tasks still
//     pending then are abandoned: the loops are stopped and joined first (so
//     none of them runs another step), then each is named in an error and
//     "frozen": woken once from this thread, which leaves its state word
//     SCHEDULED (task_state_word.hpp, rule 1) with the task parked in the
//     stopped loop's inbox, so any later wake() (a future completed by a
//     foreign thread, a token cancelled) is a no-op that touches no loop.
//     Its fiber is never resumed, so its frames are not unwound: the task
//     state, its body's captures and what its stack frames own are leaked on
//     purpose, held by abandoned_tasks() for the life of the process (a
//     reachable leak, not an unreachable one). Its stack stays mapped
//     (StackPool::keep_mapped; a slab stack keeps its whole slab): its frames
//     may still be pointed to, by a Waiter linked in a future's list or an
//     Alarm, and a later set_result() on that future reads them.
//  3. Shut the blocking pool down (waiting for running jobs), stop and join
//     the loops (already done in step 2's case).

namespace {

using Clock = std::chrono::steady_clock;

/// Waits until every task is done or `deadline` passes (nullopt: no
/// deadline); true if all are done. Called from the closing thread, where
/// done callbacks run inline on the completing thread (no loop to post to).
bool wait_all(const std::vector<TaskHandle>& tasks, std::optional<Clock::time_point> deadline) {
  if (!deadline) {
    for (const auto& t : tasks) t.wait();
    return true;
  }
  struct Countdown {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t left = 0;
  };
  auto c = std::make_shared<Countdown>();
  c->left = tasks.size();
  std::vector<std::uint64_t> ids;
  ids.reserve(tasks.size());
  for (const auto& t : tasks)
    ids.push_back(Access::state(t).add_done_callback([c](FutureStateBase*) {
      std::lock_guard g(c->mu);
      if (--c->left == 0) c->cv.notify_all();
    }));
  bool all = false;
  {
    std::unique_lock lk(c->mu);
    all = c->cv.wait_until(lk, *deadline, [&] { return c->left == 0; });
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) (void)Access::state(tasks[i]).remove_done_callback(ids[i]);
  return all;
}

/// Step 2's sink: abandoned tasks, kept (and so reachable) for the life of
/// the process. Deliberately never freed: freeing a task whose fiber was not
/// unwound would run destructors its frames still rely on.
std::vector<TaskHandle>& abandoned_tasks() {
  static auto* sink = new std::vector<TaskHandle>();
  return *sink;
}
std::mutex abandoned_mu;

#if COREIO_LSAN
void register_leak_root(const void* lo, std::size_t len) { __lsan_register_root_region(lo, len); }
#else
void register_leak_root(const void*, std::size_t) {}
#endif

} // namespace

bool RuntimeImpl::cancel_all_tasks(std::optional<std::chrono::nanoseconds> timeout) {
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(*timeout);
  for (;;) {
    std::vector<TaskHandle> tasks = all_tasks();
    if (tasks.empty()) return true;
    for (auto& t : tasks) t.cancel();
    const bool all = wait_all(tasks, deadline);
    for (auto& t : tasks) {
      if (!t.done() || t.cancelled()) continue;
      if (std::exception_ptr e = t.exception()) {
        loop(0).facade().call_exception_handler(
            {.message = "unhandled exception during coreio::run() shutdown", .exception = e, .task = t.get_name()});
      }
    }
    if (!all) return false;
  }
}

void RuntimeImpl::stop_loops() {
  // The watchdog stops while every loop thread still exists: it may signal a
  // loop thread (pthread_kill), which must not have exited. Every task is done
  // (or abandoned) by now, so only the loops' last callbacks go unwatched.
  if (watchdog_) watchdog_->stop();
  for (auto& l : loops_) l->request_stop();
  for (auto& th : threads_) th.join();
  threads_.clear();
}

void RuntimeImpl::abandon_pending(std::chrono::nanoseconds timeout) {
  // Step 2. The loops are stopped: what is registered and not done now is
  // every task left, and none of them can run again.
  std::vector<TaskHandle> left = all_tasks();
  std::string names;
  for (const auto& t : left) {
    names += names.empty() ? "" : ", ";
    names += "'" + t.get_name() + "' (id " + std::to_string(t.id()) + ")";
  }
  log().error(
      "runtime '{}': {} task(s) still running {} ms after close() cancelled them "
      "(shutdown_timeout); abandoned without unwinding: {}",
      cfg_.name, left.size(), std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count(), names);
  for (auto& t : left) {
    auto& task = static_cast<TaskBase&>(Access::state(t));
    task.wake(); // the freeze
    if (task.fiber_ == nullptr) continue; // never started: no frames
    // Its frames may be pointed to (a Waiter linked in a future's list, an
    // Alarm): the mapping outlives the runtime. Under LeakSanitizer the
    // stack is a root, so what its frames own is a reachable leak.
    const Stack s = task.fiber_->stack; // the frame sits on that stack, kept with it
    stacks_.keep_mapped(s.lo);
    register_leak_root(s.lo, s.len);
  }
  std::lock_guard g(abandoned_mu);
  auto& sink = abandoned_tasks();
  sink.insert(sink.end(), left.begin(), left.end());
}

void RuntimeImpl::close(std::optional<std::chrono::nanoseconds> timeout) {
  std::lock_guard g(close_mu_);
  if (closed_.load(std::memory_order_acquire)) return;
  if (current_loop() && &current_loop()->runtime() == this)
    internal_error("Runtime::close() called from one of its own loop threads");
  closing_.store(true, std::memory_order_release);
  const bool all_done = cancel_all_tasks(timeout);
  if (!all_done) {
    stop_loops();
    abandon_pending(*timeout);
  }
  // asyncio.run's shutdown_default_executor(): wait for the blocking pool's
  // running and queued jobs (those of cancelled awaiters are skipped) while
  // the loops still run, so their completions can still be delivered. After
  // an abandonment the loops are stopped: queued jobs are cancelled, and
  // completions of running ones wait in the stopped loops' inboxes, dropped
  // with the loops.
  blocking_.shutdown(/*wait=*/true, /*cancel_futures=*/!all_done);
  log().debug("runtime '{}' closing: tasks done, blocking pool drained, stopping {} loops", cfg_.name, loops_.size());
  stop_loops();
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
  check_not_on_loop_thread(Entry::close);
  impl_->close(impl_->config().shutdown_timeout);
}
void Runtime::close(std::chrono::nanoseconds timeout) {
  check_not_on_loop_thread(Entry::close);
  impl_->close(timeout);
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
  for (std::size_t i = 0; i < m.loops.size(); ++i) {
    impl_->loop(i).fill_metrics(m.loops[i]);
    m.loops[i].stalls = impl_->stall_probe(i).stalls();
  }
  m.global_queue_depth = impl_->injector().size();
  m.live_tasks = impl_->live_tasks();
  return m;
}

Runtime* Runtime::current() noexcept {
  LoopImpl* l = detail::current_loop();
  return l ? &l->runtime().facade() : nullptr;
}

void Runtime::check_not_on_loop_thread(Entry what) const {
  LoopImpl* l = detail::current_loop();
  if (!l) return;
  const char* name = what == Entry::block_on ? "block_on" : "close";
  if (&l->runtime() == impl_.get())
    throw RuntimeError(std::string("Runtime::") + name + "() cannot be called from one of its own loops");
  // Another runtime's loop: block_on would block that loop (asyncio's
  // "asyncio.run() cannot be called from a running event loop").
  if (what == Entry::block_on) throw RuntimeError("coreio::run() cannot be called from a running event loop");
}

} // namespace coreio
