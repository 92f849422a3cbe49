// TaskStateWord: a task's scheduling state, one atomic word, changed only
// through the named transitions below (Tokio's runtime/task/state.rs is the
// model). Every transition returns what the caller must do next as a
// [[nodiscard]] enum, so no caller re-derives it from raw bits.
//
// # Bits
//  - SCHEDULED: in a run queue, or being pushed to one, or popped and about
//    to run.
//  - RUNNING: its fiber is executing on some loop (a "step").
//  - NOTIFIED: woken while RUNNING; the loop requeues it when the step ends.
//  - COMPLETE: the body has finished; final.
//  No bits: idle (suspended, waiting for a wake-up).
//
// # Rules (cited by number elsewhere)
//  1. Only the party that moves a task from idle to SCHEDULED (wake():
//     `transition_to_notified() == Wake::submit`, or spawn) may push it on a
//     run queue. A task is therefore in at most one queue, and `qnext_` /
//     `ticket_` belong to whoever holds it queued.
//  2. Only the loop that pops a SCHEDULED task may move it to RUNNING
//     (`transition_to_running`) and switch to its fiber; the fiber's saved
//     context is touched by that loop alone until the fiber switches back.
//  3. A wake-up of a RUNNING task sets NOTIFIED instead of queueing it (its
//     fiber is still on a CPU and its context is not saved yet). When the
//     step ends, `transition_to_idle` sees NOTIFIED and tells the loop to
//     queue it again. This closes the race between "register a waiter, then
//     suspend" and a notifier on another thread.
//  4. COMPLETE is final; a wake-up of a COMPLETE task does nothing.
#pragma once

#include <atomic>
#include <cstdint>

namespace coreio::detail {

/// Bits of TaskStateWord (see the rules above).
inline constexpr std::uint32_t SCHEDULED = 1u << 0; ///< Queued, or popped and about to run.
inline constexpr std::uint32_t RUNNING = 1u << 1; ///< Its fiber is executing on some loop.
inline constexpr std::uint32_t NOTIFIED = 1u << 2; ///< Woken while RUNNING: requeue when the step ends.
inline constexpr std::uint32_t COMPLETE = 1u << 3; ///< The body has finished; final.

class TaskStateWord {
public:
  enum class ToRunning { success, invalid };
  enum class ToIdle { idle, requeue };
  enum class Wake { nothing, notified, submit };

  /// Spawn: the new task starts SCHEDULED (rule 1: the spawner queues it).
  /// Set before the task is visible to anyone else.
  void init_scheduled() noexcept { word_.store(SCHEDULED, std::memory_order_relaxed); }

  /// Rule 2: the popping loop claims the step. `invalid` means the task was
  /// not SCHEDULED (queued twice): an internal error, reported by the caller.
  [[nodiscard]] ToRunning transition_to_running() noexcept {
    // SeqCst, not just Acquire (which pairs with the Release in
    // transition_to_idle(), so the fiber context saved by the loop that ran
    // the previous step is visible here). The exchange is also one half of a
    // Dekker pair with TaskBase::cancel(), which stores its request and then
    // loads this word (running()): in the single total order either cancel()
    // sees RUNNING, or this step's first suspension-point check
    // (cancel_requested(), also SeqCst) sees the request. Without it both
    // could miss, and a request made while the task was suspended would end
    // the task after its step's effects (task_base.hpp, "Cancellation").
    // An RMW costs the same in either order on x86.
    const std::uint32_t prev = word_.exchange(RUNNING, std::memory_order_seq_cst);
    return prev == SCHEDULED ? ToRunning::success : ToRunning::invalid;
  }

  /// Rule 3: the step ended with the task suspended. `requeue`: it was woken
  /// during the step; it is SCHEDULED again and the loop must queue it.
  [[nodiscard]] ToIdle transition_to_idle() noexcept {
    std::uint32_t s = word_.load(std::memory_order_acquire);
    for (;;) {
      if (s & NOTIFIED) {
        // Relaxed: only this loop touches the task until it queues it, and
        // the queue push publishes it.
        word_.store(SCHEDULED, std::memory_order_relaxed);
        return ToIdle::requeue;
      }
      // Release: our writes to the task (its saved fiber context) happen
      // before a waker's queueing of it; pairs with the Acquire load in
      // transition_to_notified().
      if (word_.compare_exchange_weak(s, 0, std::memory_order_release, std::memory_order_acquire)) return ToIdle::idle;
    }
  }

  /// The step ended with the task stepping aside while still runnable (eager
  /// start of a child): it stays SCHEDULED and the loop queues it itself.
  void transition_to_stepped_aside() noexcept { word_.store(SCHEDULED, std::memory_order_relaxed); }

  /// Rules 1, 3, 4, for a wake-up from any thread. `submit`: the caller won
  /// idle -> SCHEDULED and must queue the task; `notified`: it is running and
  /// its loop requeues it; `nothing`: already queued, notified or complete.
  [[nodiscard]] Wake transition_to_notified() noexcept {
    // Acquire: pairs with the Release CAS in transition_to_idle(), so the
    // saved fiber context is visible to whichever loop runs the task next.
    std::uint32_t s = word_.load(std::memory_order_acquire);
    for (;;) {
      if (s & (COMPLETE | SCHEDULED | NOTIFIED)) return Wake::nothing;
      const std::uint32_t next = (s & RUNNING) ? (s | NOTIFIED) : SCHEDULED;
      if (word_.compare_exchange_weak(s, next, std::memory_order_acq_rel, std::memory_order_acquire))
        return (s & RUNNING) ? Wake::notified : Wake::submit;
    }
  }

  /// Rule 4: the body finished (or never started); nothing queues it again.
  void transition_to_complete() noexcept {
    // Release: pairs with Acquire loads of the word by wakers, which then
    // see COMPLETE and leave the task alone.
    word_.store(COMPLETE, std::memory_order_release);
  }

  /// True while a step runs: read by cancel() after it stored its request.
  /// SeqCst: the other half of the Dekker pair in transition_to_running().
  [[nodiscard]] bool running() const noexcept { return (word_.load(std::memory_order_seq_cst) & RUNNING) != 0; }
  /// The raw bits, for diagnostics only.
  [[nodiscard]] std::uint32_t bits() const noexcept { return word_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::uint32_t> word_{0};
};

} // namespace coreio::detail
