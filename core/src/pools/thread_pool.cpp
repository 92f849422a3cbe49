// ThreadPool (thread_pool.hpp): the on-demand, keep-alive thread pool.
#include "pools/thread_pool.hpp"

#include <pthread.h>

#include <utility>
#include <vector>

#include "runtime/log.hpp"

namespace coreio::detail {

namespace {
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
} // namespace

ThreadPool::ThreadPool(Options opts) : opts_(std::move(opts)) {}

ThreadPool::~ThreadPool() { shutdown(true, false); }

void ThreadPool::execute(ExecutorJob job) {
  ThreadList exited; // threads that retired: joined below, outside the lock
  {
    std::lock_guard g(mu_);
    if (shutdown_) throw RuntimeError(opts_.shutdown_message);
    exited.splice(exited.end(), retired_);
    queue_.push_back(std::move(job));
    // Relaxed: a hint for the spinner, which takes the job under mu_.
    queued_.store(queue_.size(), std::memory_order_relaxed);
    if (num_spinning_ > 0) {
      // Step 4: the spinning thread takes it; no signal, no new thread.
      --num_spinning_;
    } else if (num_idle_ > 0) {
      // Step 1: hand the job to an idle thread.
      --num_idle_;
      ++num_notify_;
      cv_.notify_one();
    } else if (num_threads_ < opts_.max_threads) {
      try {
        spawn_locked();
      } catch (...) {
        // No thread could be started (EAGAIN: Tokio's issue 8406). If others
        // exist, one of them takes the job later; if none does, the job would
        // be orphaned: give it back to the caller as the error.
        if (num_threads_ == 0) {
          queue_.pop_back();
          queued_.store(queue_.size(), std::memory_order_relaxed);
          retired_.splice(retired_.end(), exited);
          throw;
        }
        log().warn("blocking pool: could not start a thread ({} running); the job waits for one", num_threads_);
      }
    }
    // Else all threads are busy and at the bound: one takes it later (step 3).
  }
  // Each of these threads left the pool under mu_ and is returning.
  for (std::thread& t : exited) t.join();
}

void ThreadPool::spawn_locked() {
  live_.emplace_back();
  auto it = std::prev(live_.end());
  try {
    // The new thread locks mu_ before touching `*it`, so this assignment
    // (made under mu_) is complete by then.
    *it = std::thread([this, it] { worker(it); });
  } catch (...) {
    live_.erase(it);
    throw;
  }
  ++num_threads_;
}

void ThreadPool::worker(ThreadList::iterator self) {
  pthread_setname_np(pthread_self(), opts_.thread_name.substr(0, 15).c_str());
  std::unique_lock lk(mu_);
  for (;;) {
    // Step 3: drain the queue.
    while (!queue_.empty()) {
      ExecutorJob job = std::move(queue_.front());
      queue_.pop_front();
      queued_.store(queue_.size(), std::memory_order_relaxed);
      lk.unlock();
      try {
        job();
      } catch (...) {
        // make_executor_job() stores every exception in the future; a custom
        // job that throws anyway is reported, and the thread carries on.
        log().error("an executor job threw; the exception is dropped");
      }
      job = {}; // the call's captures die here, outside the lock
      lk.lock();
    }
    if (shutdown_) break;
    if (opts_.spin.count() > 0 && !spinner_active_) {
      // Step 4: watch for the next job a while before sleeping.
      spinner_active_ = true;
      ++num_spinning_;
      lk.unlock();
      const auto until = std::chrono::steady_clock::now() + opts_.spin;
      while (queued_.load(std::memory_order_relaxed) == 0 && std::chrono::steady_clock::now() < until)
        cpu_relax();
      lk.lock();
      spinner_active_ = false;
      // Not counted on by a job: take ourselves off. Counted on: the job is
      // ours to take (or already taken by another thread draining the queue).
      if (num_spinning_ > 0) --num_spinning_;
      if (!queue_.empty()) continue; // step 3
      if (shutdown_) break;
    }
    // Step 2: idle.
    ++num_idle_;
    const auto deadline = opts_.keep_alive ? std::chrono::steady_clock::now() + *opts_.keep_alive
                                           : std::chrono::steady_clock::time_point::max();
    bool retire = false;
    for (;;) {
      if (num_notify_ > 0) {
        --num_notify_; // execute() already took us off num_idle_
        break;
      }
      if (shutdown_) {
        --num_idle_;
        break;
      }
      if (opts_.keep_alive) {
        if (cv_.wait_until(lk, deadline) == std::cv_status::timeout && num_notify_ == 0 && !shutdown_) {
          --num_idle_;
          retire = true;
          break;
        }
      } else {
        cv_.wait(lk);
      }
    }
    if (retire && queue_.empty()) break;
  }
  // Exit, still under mu_: the thread's last access to the pool, except for
  // the on_drained callbacks (whose owners outlive join()).
  --num_threads_;
  retired_.splice(retired_.end(), live_, self);
  std::vector<Function<void()>> drained;
  if (shutdown_ && num_threads_ == 0) drained.swap(on_drained_);
  exit_cv_.notify_all();
  lk.unlock();
  for (auto& fn : drained) fn();
}

void ThreadPool::shutdown_begin(bool cancel_futures, Function<void()> on_drained) {
  std::deque<ExecutorJob> cancelled;
  bool run_now = false;
  {
    std::lock_guard g(mu_);
    shutdown_ = true;
    if (cancel_futures) cancelled.swap(queue_);
    if (on_drained) {
      if (num_threads_ == 0) run_now = true;
      else on_drained_.push_back(std::move(on_drained));
    }
    cv_.notify_all();
  }
  for (ExecutorJob& j : cancelled)
    if (j.future) j.future->cancel({});
  cancelled.clear();
  if (run_now) on_drained();
}

void ThreadPool::join() {
  std::lock_guard jg(join_mu_);
  ThreadList all;
  {
    std::unique_lock lk(mu_);
    // Live threads exit once the queue is empty (shutdown_ is set) and move
    // themselves to retired_.
    exit_cv_.wait(lk, [this] { return live_.empty(); });
    all.splice(all.end(), retired_);
  }
  for (std::thread& t : all) t.join();
}

void ThreadPool::shutdown(bool wait, bool cancel_futures) {
  shutdown_begin(cancel_futures);
  if (wait) join();
}

bool ThreadPool::is_shutdown() const {
  std::lock_guard g(mu_);
  return shutdown_;
}
std::size_t ThreadPool::num_threads() const {
  std::lock_guard g(mu_);
  return num_threads_;
}
std::size_t ThreadPool::num_idle() const {
  std::lock_guard g(mu_);
  return num_idle_;
}
std::size_t ThreadPool::queue_size() const {
  std::lock_guard g(mu_);
  return queue_.size();
}

} // namespace coreio::detail
