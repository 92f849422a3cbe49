// The live stall detector: the probe's signal side and the watchdog thread
// (stall.hpp gives the protocol, steps 1-5).
#include "runtime/stall.hpp"

#include <execinfo.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <mutex>

// BOOST_STACKTRACE_USE_BACKTRACE and the header's path: core/CMakeLists.txt.
#include <boost/stacktrace/frame.hpp>

#include "coreio/detail/task_base.hpp"
#include "runtime/log.hpp"
#include "runtime/runtime_impl.hpp"

namespace coreio::detail {

namespace {

// initial-exec: read inside the signal handler, where the general-dynamic
// model's first access could allocate. The loop thread sets it before it runs
// anything, so the handler only ever reads an initialised slot.
[[gnu::tls_model("initial-exec")]] thread_local StallProbe* tls_probe = nullptr;

void on_sample_signal(int /*sig*/, siginfo_t* /*info*/, void* uctx) {
  const int saved_errno = errno; // the interrupted code may be about to read errno
  StallProbe* p = tls_probe;
  void* pc = nullptr;
#if defined(__x86_64__)
  pc = reinterpret_cast<void*>(static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  pc = reinterpret_cast<void*>(static_cast<ucontext_t*>(uctx)->uc_mcontext.pc);
#else
  (void)uctx;
#endif
  if (p) p->take_sample(pc);
  errno = saved_errno;
}

/// Installs the handler once per process (every runtime shares it; it finds
/// its loop's probe through tls_probe). False, with a warning, if the signal
/// already has another handler: the detector then reports without backtraces.
bool install_sample_handler() {
  static std::once_flag once;
  static bool installed = false;
  std::call_once(once, [] {
    // Prime backtrace(): its first call loads libgcc_s (dlopen, malloc),
    // which must not happen inside the handler.
    void* prime[2];
    (void)::backtrace(prime, 2);
    struct sigaction old {};
    ::sigaction(stall_signal(), nullptr, &old);
    const bool ours_to_take = (old.sa_flags & SA_SIGINFO) ? old.sa_sigaction == nullptr
                                                          : (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN);
    if (!ours_to_take) {
      log().warn("stall detector: signal {} (SIGRTMIN+3) already has a handler; stalls are reported without backtraces",
                 stall_signal());
      return;
    }
    struct sigaction sa {};
    sa.sa_sigaction = on_sample_signal;
    // SA_RESTART: a stalled task blocked in read() or write() resumes its call
    // instead of failing with EINTR (calls SA_RESTART does not restart, such
    // as nanosleep or poll, see EINTR once per stall: docs/observability.md).
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    installed = ::sigaction(stall_signal(), &sa, nullptr) == 0;
  });
  return installed;
}

std::string describe_sample(const StallSample& s) {
  if (!s.is_task) return "a callback";
  const std::string name = s.named ? std::string(s.name) : "Task-" + std::to_string(s.task_id);
  return "task '" + name + "' (id " + std::to_string(s.task_id) + ")";
}

double millis(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

} // namespace

int stall_signal() noexcept { return SIGRTMIN + 3; }

// ---------------------------------------------------------------- StallProbe

StallProbe::StallProbe() noexcept { ::sem_init(&done_, 0, 0); }
StallProbe::~StallProbe() { ::sem_destroy(&done_); }

void StallProbe::attach_this_thread() noexcept {
  thread_ = pthread_self();
  tls_probe = this;
  // Release: publishes thread_; pairs with the Acquire load in sample().
  attached_.store(true, std::memory_order_release);
}

void StallProbe::detach_this_thread() noexcept { tls_probe = nullptr; }

void StallProbe::take_sample(void* pc) noexcept {
  // Acquire: pairs with the Release store in sample(); the request is the
  // watchdog's only message, and sample_ is ours until we post done_.
  const std::uint64_t want = request_.exchange(0, std::memory_order_acquire);
  if (want == 0) return; // a late signal whose request was taken back (step 4)
  std::atomic_signal_fence(std::memory_order_acquire);
  StallSample& s = sample_;
  s.steps = steps_.load(std::memory_order_relaxed); // Relaxed: our own thread's value
  s.is_task = false;
  s.named = false;
  s.task_id = 0;
  s.name[0] = '\0';
  QueueLink* item = item_.load(std::memory_order_relaxed); // Relaxed: our own thread's store (enter())
  if (s.steps == want && item && item->kind_ == QueueLink::Kind::task) {
    // The stalled step is the one we interrupted: its task is alive.
    const auto* t = static_cast<const TaskBase*>(item);
    s.is_task = true;
    s.task_id = t->id();
    if (const char* n = t->custom_name()) {
      std::size_t i = 0;
      for (; n[i] && i + 1 < stall_name_bytes; ++i) s.name[i] = n[i];
      s.name[i] = '\0';
      s.named = true;
    }
  }
  s.pc = pc;
  s.frames = ::backtrace(s.stack, stall_max_frames);
  // sem_post is async-signal-safe and synchronizes memory (POSIX 4.12): the
  // watchdog's sem_timedwait sees every write above.
  ::sem_post(&done_);
}

bool StallProbe::sample(std::uint64_t steps, StallSample& out) noexcept {
  // Acquire: pairs with attach_this_thread()'s Release (thread_ is set).
  if (!attached_.load(std::memory_order_acquire)) return false;
  // Release: pairs with the handler's Acquire exchange (step 2).
  request_.store(steps, std::memory_order_release);
  if (::pthread_kill(thread_, stall_signal()) != 0) {
    // No signal was sent, so no handler took the request.
    request_.store(0, std::memory_order_relaxed); // Relaxed: nobody else reads it now
    return false;
  }
  timespec deadline{};
  ::clock_gettime(CLOCK_REALTIME, &deadline);
  const auto wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(sample_wait).count();
  deadline.tv_nsec += wait_ns % 1'000'000'000;
  deadline.tv_sec += static_cast<time_t>(wait_ns / 1'000'000'000 + deadline.tv_nsec / 1'000'000'000);
  deadline.tv_nsec %= 1'000'000'000;
  int rc = 0;
  while ((rc = ::sem_timedwait(&done_, &deadline)) != 0 && errno == EINTR) {}
  if (rc != 0) {
    // Step 4: timed out. AcqRel: taking the request back must not pass the
    // handler's exchange; whoever wins the exchange owns the sample.
    if (request_.exchange(0, std::memory_order_acq_rel) != 0) return false;
    while (::sem_wait(&done_) != 0 && errno == EINTR) {}
  }
  out = sample_;
  return out.steps == steps;
}

// ---------------------------------------------------------------- StallWatchdog

StallWatchdog::StallWatchdog(RuntimeImpl& rt, std::chrono::nanoseconds threshold) : rt_(rt), threshold_(threshold) {
  const bool sampling = install_sample_handler();
  log().debug("stall detector on: threshold {:.1f} ms, checked every {:.1f} ms{}", millis(threshold_),
              millis(threshold_ / 2), sampling ? "" : " (no backtraces)");
  thread_ = std::thread([this] {
    const std::string name = rt_.config().name + "-watchdog";
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    run();
  });
}

StallWatchdog::~StallWatchdog() { stop(); }

void StallWatchdog::stop() {
  {
    std::lock_guard g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StallWatchdog::run() {
  std::vector<Watch> watches(rt_.num_loops());
  const auto period = threshold_ / 2;
  std::unique_lock lk(mu_);
  while (!cv_.wait_for(lk, period, [this] { return stop_; })) {
    lk.unlock();
    const auto now = Clock::now();
    for (std::size_t i = 0; i < watches.size(); ++i) check(i, watches[i], now);
    lk.lock();
  }
  lk.unlock();
  // Stopping (Runtime::close(), once every task is done): a stall reported
  // but not yet seen to end has ended.
  const auto now = Clock::now();
  for (std::size_t i = 0; i < watches.size(); ++i)
    if (watches[i].reported) end_of_stall(i, watches[i], now);
}

void StallWatchdog::end_of_stall(std::size_t loop, const Watch& w, Clock::time_point now) {
  log().warn("loop {}: the stall in {} is over; it lasted about {:.0f} ms ({} more checks saw it)", loop, w.who,
             millis(now - w.since), w.checks);
}

void StallWatchdog::check(std::size_t loop, Watch& w, Clock::time_point now) {
  const std::uint64_t s = rt_.stall_probe(loop).steps();
  if (s != w.seen) {
    if (w.reported) end_of_stall(loop, w, now);
    w = Watch{.seen = s, .since = now, .reported = false, .checks = 0, .who = {}};
    return;
  }
  if ((s & 1) == 0) return; // between steps: idle or parked, not stalled
  if (w.reported) {
    ++w.checks;
    return;
  }
  if (now - w.since >= threshold_) report(loop, w, now);
}

void StallWatchdog::report(std::size_t loop, Watch& w, Clock::time_point now) {
  StallProbe& probe = rt_.stall_probe(loop);
  probe.count_stall();
  w.reported = true;
  StallSample sample;
  if (!probe.sample(w.seen, sample)) {
    w.who = "its current step";
    log().warn(
        "loop {} stalled: one step has run for at least {:.0f} ms (threshold {:.0f} ms); no backtrace (the "
        "loop thread did not take signal {} in time, or the step ended first)",
        loop, millis(now - w.since), millis(threshold_), stall_signal());
    return;
  }
  w.who = describe_sample(sample);
  std::string trace;
  for (const std::string& line : symbolize(sample.stack, sample.frames, sample.pc)) trace += "\n    " + line;
  log().warn(
      "loop {} stalled: {} has run for at least {:.0f} ms without returning to the loop (threshold {:.0f} ms); "
      "backtrace of the loop thread:{}",
      loop, w.who, millis(now - w.since), millis(threshold_), trace);
}

std::vector<std::string> symbolize(void* const* frames, int n, void* skip_to) {
  int first = 0;
  for (int i = 0; skip_to && i < n; ++i)
    if (frames[i] == skip_to) {
      first = i;
      break;
    }
  std::vector<std::string> out;
  for (int i = first; i < n; ++i) {
    // A return address points after its call: look up the byte before it.
    // The interrupted instruction (skip_to, found) is exact.
    const bool exact = i == first && frames[i] == skip_to;
    const auto addr = reinterpret_cast<std::uintptr_t>(frames[i]) - (exact ? 0 : 1);
    const boost::stacktrace::frame f(reinterpret_cast<boost::stacktrace::frame::native_frame_ptr_t>(addr));
    std::string name = f.name();
    std::string line = "#" + std::to_string(i - first) + " " + (name.empty() ? std::string("??") : std::move(name));
    if (const std::string file = f.source_file(); !file.empty())
      line += " at " + file + ":" + std::to_string(f.source_line());
    out.push_back(std::move(line));
  }
  return out;
}

} // namespace coreio::detail
