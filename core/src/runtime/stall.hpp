// The live stall detector (RuntimeConfig::stall_threshold): a watchdog thread
// notices a loop that has been inside one task step or one callback for longer
// than the threshold while that is still happening, and logs the loop, the
// task and the stalled thread's backtrace (Seastar's reactor stall detector;
// Go's preemption signal is the model for how the sample is taken).
//
// # The heartbeat (StallProbe, one per loop)
// The loop thread bumps `steps_` when it enters a step (odd) and when it
// leaves it (even): two relaxed stores to a line only that loop writes, the
// whole cost on the hot path. The probe also remembers the item being run, for
// the signal handler.
//
// # The watchdog (StallWatchdog, one thread per runtime, only when on)
//  1. Every threshold/2 it reads each loop's `steps_`. A new value starts a
//     new observation (time `since`); an odd value seen unchanged for at least
//     the threshold is a stall: the loop has been in one step all that time.
//     So a step longer than 1.5 x threshold is always caught, one between 1
//     and 1.5 x threshold may be.
//  2. Once per stall it asks for a sample: it stores the observed `steps_`
//     value in `request_` and sends stall_signal() to the loop thread
//     (pthread_kill).
//  3. The handler, on the loop thread, takes the request (exchange to 0). If
//     `steps_` still has the requested value, the step it interrupted is the
//     stalled one, so the item is alive (the runtime holds a task until its
//     step has returned) and it copies the task's id and name. It captures
//     the return addresses with backtrace() (primed before the handler is
//     installed, so it does not load libgcc_s inside the handler) into the
//     probe's preallocated buffer, and posts `done_`. Everything it calls is
//     async-signal-safe: atomics, memcpy-like copies, backtrace() once
//     primed, sem_post().
//  4. The watchdog waits on `done_` up to sample_wait. If it times out, it
//     takes the request back (exchange to 0): getting its value back means
//     the handler never started and never will write; getting 0 means the
//     handler has it, and `done_` is posted soon. Either way every taken
//     request is matched by one post, so the next stall starts clean.
//  5. It symbolises the addresses (Boost.Stacktrace over libbacktrace, off
//     the loop thread) and logs one warning. When the loop next moves on, it
//     logs how long the stall lasted and how many checks saw it.
#pragma once

#include <pthread.h>
#include <semaphore.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coreio/detail/queue_link.hpp"

namespace coreio::detail {

class RuntimeImpl;

/// Return addresses kept per sample.
inline constexpr int stall_max_frames = 48;
/// Bytes of a task name kept per sample (longer names are cut).
inline constexpr std::size_t stall_name_bytes = 64;
/// How long the watchdog waits for the loop thread to take the sample signal.
/// A thread that cannot take it (in an uninterruptible call, or, under TSan, in
/// code that calls no intercepted function) is reported without a backtrace.
inline constexpr std::chrono::milliseconds sample_wait{500};

/// The signal that asks a loop thread for a sample: SIGRTMIN + 3, a real-time
/// signal (the overflow handler uses SIGSEGV; glibc keeps the first two
/// real-time signals below SIGRTMIN for itself).
int stall_signal() noexcept;

/// What the signal handler copied from the stalled thread.
struct StallSample {
  std::uint64_t steps = 0; ///< `steps_` when the handler ran
  std::uint64_t task_id = 0; ///< 0 for a callback
  bool is_task = false;
  bool named = false; ///< the task has a user-given name (in `name`)
  char name[stall_name_bytes] = {};
  int frames = 0;
  void* pc = nullptr; ///< the interrupted instruction (from the signal context)
  void* stack[stall_max_frames] = {};
};

class alignas(64) StallProbe {
public:
  StallProbe() noexcept;
  ~StallProbe();
  StallProbe(const StallProbe&) = delete;
  StallProbe& operator=(const StallProbe&) = delete;

  // ---- the loop thread, per step ----
  void enter(QueueLink* item) noexcept {
    // Relaxed: read back only by this thread's own signal handler (ordered by
    // the signal fence), never by another thread.
    item_.store(item, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_release);
    bump();
  }
  void leave() noexcept { bump(); }

  /// Binds the probe to the calling (loop) thread, before it runs anything.
  void attach_this_thread() noexcept;
  /// Unbinds it as the loop thread ends.
  static void detach_this_thread() noexcept;

  // ---- the watchdog ----
  [[nodiscard]] std::uint64_t steps() const noexcept {
    // Relaxed: a heartbeat compared with its previous value; it publishes no data.
    return steps_.load(std::memory_order_relaxed);
  }
  /// Steps 2-4 of the protocol: the sample of the step `steps`, or false if
  /// none arrived in time.
  [[nodiscard]] bool sample(std::uint64_t steps, StallSample& out) noexcept;
  [[nodiscard]] std::uint64_t stalls() const noexcept { return stalls_.load(std::memory_order_relaxed); }
  void count_stall() noexcept {
    // Relaxed: a statistic for metrics(); written by the watchdog only.
    stalls_.store(stalls_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  /// Step 3, in the signal handler on the probe's thread.
  void take_sample(void* pc) noexcept;

private:
  void bump() noexcept {
    // Relaxed: the watchdog only compares successive values (step 1); the
    // signal fence keeps the item store before it for this thread's handler.
    steps_.store(steps_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  std::atomic<std::uint64_t> steps_{0};
  std::atomic<QueueLink*> item_{nullptr};
  std::atomic<std::uint64_t> stalls_{0};
  pthread_t thread_{};
  std::atomic<bool> attached_{false};
  /// The step the watchdog wants sampled; 0 = no request.
  std::atomic<std::uint64_t> request_{0};
  sem_t done_;
  StallSample sample_;
};

class StallWatchdog {
public:
  StallWatchdog(RuntimeImpl& rt, std::chrono::nanoseconds threshold);
  ~StallWatchdog();
  StallWatchdog(const StallWatchdog&) = delete;
  StallWatchdog& operator=(const StallWatchdog&) = delete;

  /// Stops and joins the thread; idempotent.
  void stop();

private:
  using Clock = std::chrono::steady_clock;
  /// What the watchdog knows of one loop.
  struct Watch {
    std::uint64_t seen = 0;
    Clock::time_point since{};
    bool reported = false;
    std::uint64_t checks = 0; ///< checks that found the reported stall still going
    std::string who; ///< "task 'x' (id n)" or "a callback", once reported
  };

  void run();
  void check(std::size_t loop, Watch& w, Clock::time_point now);
  void report(std::size_t loop, Watch& w, Clock::time_point now);
  static void end_of_stall(std::size_t loop, const Watch& w, Clock::time_point now);

  RuntimeImpl& rt_;
  std::chrono::nanoseconds threshold_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

/// "<name> at <file>:<line>" (or what is known) for each address; `skip_to`
/// (if found in the list) drops the frames above it (the signal handler's).
std::vector<std::string> symbolize(void* const* frames, int n, void* skip_to);

} // namespace coreio::detail
