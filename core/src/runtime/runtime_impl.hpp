// RuntimeImpl: the loops, their threads, and what they share: the global
// injection queue, the idle/searching accounting for work stealing, the task
// registry (all_tasks) and the stack pool.
//
// # Searching and waking (work-stealing mode)
// Tokio's idle protocol, simplified:
//  1. A loop with nothing to do may start searching (stealing) only while
//     fewer than half the loops search (`num_searching_`), so idle loops do not
//     all hammer one busy victim.
//  2. A searcher that finds work and was the last searcher wakes one parked
//     loop, so that parallelism ramps up one loop at a time.
//  3. New work (a local push, a global push) wakes a parked loop only if nobody
//     is searching: a searcher will find it anyway.
//  4. A loop parks by registering in `idle_` (under `idle_mu_`) *before* its
//     final check of the global queue; a pusher adds to the global queue
//     *before* taking `idle_mu_` to pick a loop to wake. The mutex orders the
//     two, so a push is never missed by a loop that parks.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "coreio/runtime.hpp"
#include "sched/loop_impl.hpp"
#include "fiber/stack_pool.hpp"
#include "pools/thread_pool.hpp"

namespace coreio::detail {

class RuntimeImpl {
public:
  RuntimeImpl(Runtime& facade, RuntimeConfig cfg);
  ~RuntimeImpl();

  void start();
  void close();
  [[nodiscard]] bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  [[nodiscard]] bool closing() const noexcept { return closing_.load(std::memory_order_acquire); }

  [[nodiscard]] Runtime& facade() noexcept { return facade_; }
  [[nodiscard]] const RuntimeConfig& config() const noexcept { return cfg_; }
  [[nodiscard]] std::size_t num_loops() const noexcept { return loops_.size(); }
  [[nodiscard]] LoopImpl& loop(std::size_t i) const noexcept { return *loops_[i]; }
  [[nodiscard]] bool stealing() const noexcept { return stealing_; }
  [[nodiscard]] bool lifo_slot() const noexcept { return lifo_; }
  [[nodiscard]] Placement placement() const noexcept { return placement_; }
  StackPool& stacks() noexcept { return stacks_; }
  /// The default blocking pool (to_thread, run_in_executor(nullptr)).
  ThreadPool& blocking_pool() noexcept { return blocking_; }

  /// Round-robin loop choice for placement and foreign-thread spawns.
  LoopImpl& next_loop() noexcept;

  // ---- global injection queue (work-stealing mode) ----
  void global_push_batch(TaskBase* first, TaskBase* last, std::size_t n);
  /// Pops up to `max` tasks (FIFO), linked through qnext_. Returns the count.
  std::size_t global_pop_batch(TaskBase*& first, std::size_t max);
  [[nodiscard]] std::size_t global_size() const noexcept { return global_size_.load(std::memory_order_seq_cst); }

  // ---- idle / searching ----
  bool try_begin_search() noexcept;
  /// Returns true if the caller was the last searcher.
  bool end_search() noexcept;
  void notify_parked_if_no_searchers() noexcept;
  void notify_one_parked() noexcept;
  void register_idle(LoopImpl* l);
  void unregister_idle(LoopImpl* l);

  // ---- registry ----
  void register_task(TaskBase* t);
  /// Drops the runtime's reference to a finished task (may free it).
  void unregister_task(TaskBase* t);
  std::vector<TaskHandle> all_tasks();
  [[nodiscard]] std::size_t live_tasks() const noexcept { return live_tasks_.load(std::memory_order_relaxed); }

private:
  /// Logs the resolved shape, stack mode and pool limits (debug level).
  void log_shape() const;

  Runtime& facade_;
  RuntimeConfig cfg_;
  bool stealing_;
  bool lifo_;
  Placement placement_;
  StackPool stacks_;
  ThreadPool blocking_;
  std::vector<Ref<LoopImpl>> loops_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> rr_{0};

  std::mutex global_mu_;
  TaskBase* global_head_ = nullptr;
  TaskBase* global_tail_ = nullptr;
  std::atomic<std::size_t> global_size_{0};

  std::mutex idle_mu_;
  std::vector<LoopImpl*> idle_;
  std::atomic<std::size_t> num_idle_{0};
  std::atomic<std::size_t> num_searching_{0};

  struct alignas(64) Shard {
    SpinLock mu;
    TaskBase* head = nullptr;
  };
  std::vector<Shard> shards_;
  std::atomic<std::size_t> live_tasks_{0};

  std::mutex close_mu_;
  std::atomic<bool> closing_{false};
  std::atomic<bool> closed_{false};
};

} // namespace coreio::detail
