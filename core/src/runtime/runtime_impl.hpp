// RuntimeImpl: the loops, their threads, and what they share: the injector
// and the idle accounting (work-stealing shape; sched/injector.hpp,
// sched/idle.hpp), the task registry (all_tasks; registry.cpp), the stack
// pool and the blocking pool. Nothing is process-global: a program (or a
// test) may create and destroy any number of runtimes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "coreio/runtime.hpp"
#include "fiber/stack_pool.hpp"
#include "pools/thread_pool.hpp"
#include "runtime/stall.hpp"
#include "sched/idle.hpp"
#include "sched/injector.hpp"
#include "sched/loop_impl.hpp"

namespace coreio::detail {

class RuntimeImpl {
public:
  RuntimeImpl(Runtime& facade, RuntimeConfig cfg);
  ~RuntimeImpl();

  void start();
  /// Runtime::close(); `timeout` bounds the wait for the cancelled tasks.
  void close(std::optional<std::chrono::nanoseconds> timeout);
  [[nodiscard]] bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  [[nodiscard]] bool closing() const noexcept { return closing_.load(std::memory_order_acquire); }
  /// The flag behind closed(), for waits that re-check it (Loop::run_forever).
  [[nodiscard]] const std::atomic<bool>& closed_flag() const noexcept { return closed_; }

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

  /// The global injection queue and the idle accounting (work-stealing shape).
  Injector& injector() noexcept { return injector_; }
  Idle& idle() noexcept { return idle_; }

  // ---- registry ----
  void register_task(TaskBase* t);
  /// Drops the runtime's reference to a finished task (may free it).
  void unregister_task(TaskBase* t);
  std::vector<TaskHandle> all_tasks();
  [[nodiscard]] std::size_t live_tasks() const noexcept { return live_tasks_.load(std::memory_order_relaxed); }

  // ---- the stall detector (stall.hpp) ----
  /// Loop i's heartbeat; exists whether or not the detector is on.
  [[nodiscard]] StallProbe& stall_probe(std::size_t i) noexcept { return probes_[i]; }

private:
  /// close() step 1-2: cancel and wait; false if the deadline passed first.
  bool cancel_all_tasks(std::optional<std::chrono::nanoseconds> timeout);
  /// close() step 2: name, freeze and keep the tasks left (loops stopped).
  void abandon_pending(std::chrono::nanoseconds timeout);
  /// Stops the watchdog, then the loops, and joins their threads (idempotent).
  void stop_loops();
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

  Injector injector_;
  Idle idle_;

  struct alignas(64) Shard {
    SpinLock mu;
    TaskBase* head = nullptr;
  };
  std::vector<Shard> shards_;
  std::atomic<std::size_t> live_tasks_{0};

  std::unique_ptr<StallProbe[]> probes_;
  /// Only with RuntimeConfig::stall_threshold > 0; stopped before the loop threads end.
  std::unique_ptr<StallWatchdog> watchdog_;

  std::mutex close_mu_;
  std::atomic<bool> closing_{false};
  std::atomic<bool> closed_{false};
};

} // namespace coreio::detail
