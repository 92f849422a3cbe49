// serve_processes (process_group.hpp): the supervisor and the worker body.
//
// The supervisor is a poll(2) loop over one signalfd (SIGTERM, SIGINT,
// SIGHUP, blocked in the supervisor) and one pidfd per worker. It never
// starts a thread, so every fork() it makes, including the replacements, is a
// fork of a single-threaded process. States: running -> stopping -> done,
// where stopping starts on a signal or when the crash budget is spent.
#include "coreio/net/process_group.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "coreio/net/exceptions.hpp"
#include "coreio/net/signals.hpp"
#include "coreio/runtime.hpp"

namespace coreio {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_os(const char* what) { throw OSError(errno, std::system_category(), what); }

/// Threads of this process, from /proc/self/status ("Threads:\t1").
int thread_count() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  return 1; // no procfs: nothing to check against
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

/// The body of a forked worker: its own runtime around fn's server.
[[noreturn]] void worker_main(std::size_t index, const ProcessGroupServe& fn, const ProcessGroupOptions& opts,
                              const sigset_t& original_mask, pid_t supervisor) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != supervisor) ::_exit(1); // the supervisor died before prctl: nothing to serve for
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGHUP, SIG_DFL);
  ::pthread_sigmask(SIG_SETMASK, &original_mask, nullptr);
  int code = 0;
  try {
    coreio::run(
        [&] {
          Server server = fn(index);
          if (!server) throw ValueError("serve_processes: fn returned an empty Server");
          Loop& loop = get_running_loop();
          // Touched by the callbacks below only, all on `loop`; shared, since
          // they may outlive this task until the runtime closes.
          auto stopping = std::make_shared<bool>(false);
          auto stop = [&loop, server, stopping, drain = opts.drain_timeout]() mutable {
            if (*stopping) {
              server.abort_clients(); // the second signal: no more patience
              return;
            }
            *stopping = true;
            server.close();
            (void)loop.call_later(drain, [server]() mutable { server.abort_clients(); });
          };
          add_signal_handler(loop, SIGTERM, stop);
          add_signal_handler(loop, SIGINT, stop);
          server.serve_forever(); // returns once closed and every connection is gone
        },
        opts.runtime);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coreio: serve_processes worker %zu (pid %d): %s\n", index, static_cast<int>(::getpid()),
                 e.what());
    code = 1;
  }
  std::fflush(nullptr);
  // _exit: the parent's static objects (copied by fork) belong to the parent.
  ::_exit(code);
}

class Supervisor {
public:
  Supervisor(std::size_t n, ProcessGroupServe fn, ProcessGroupOptions opts)
      : fn_(std::move(fn)), opts_(std::move(opts)), workers_(n) {}

  ~Supervisor() {
    for (Worker& w : workers_) close_fd(w.pidfd);
    close_fd(sigfd_);
    ::pthread_sigmask(SIG_SETMASK, &original_mask_, nullptr);
  }

  int run() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (::pthread_sigmask(SIG_BLOCK, &set, &original_mask_) != 0) throw_os("pthread_sigmask");
    sigfd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd_ < 0) throw_os("signalfd");
    for (std::size_t i = 0; i < workers_.size(); ++i) start(i, /*first=*/true);
    while (live() > 0) {
      poll_once();
      if (stopping_ && !killed_ && Clock::now() >= kill_at_) kill_all();
    }
    if (crashed_) return opts_.crash_exit_code;
    return clean_ ? 0 : 1;
  }

private:
  struct Worker {
    pid_t pid = -1;
    int pidfd = -1;
  };

  std::size_t live() const {
    std::size_t k = 0;
    for (const Worker& w : workers_) k += w.pid > 0;
    return k;
  }

  /// Forks worker `i`. first: a failure throws (nothing runs yet); later a
  /// failed replacement counts as a crash.
  void start(std::size_t i, bool first) {
    std::fflush(nullptr); // nothing buffered is written twice
    const pid_t supervisor = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      if (first) {
        const int e = errno;
        stop(SIGTERM);
        reap_all();
        errno = e;
        throw_os("fork");
      }
      crashed(i);
      return;
    }
    if (pid == 0) {
      close_fd(sigfd_);
      for (Worker& w : workers_) close_fd(w.pidfd);
      worker_main(i, fn_, opts_, original_mask_, supervisor);
    }
    workers_[i].pid = pid;
    workers_[i].pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (workers_[i].pidfd < 0) {
      const int e = errno;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      workers_[i].pid = -1;
      if (first) {
        stop(SIGTERM);
        reap_all();
        errno = e;
        throw_os("pidfd_open");
      }
      crashed(i);
    }
  }

  void poll_once() {
    std::vector<pollfd> fds;
    std::vector<std::size_t> index;
    fds.push_back({sigfd_, POLLIN, 0});
    for (std::size_t i = 0; i < workers_.size(); ++i)
      if (workers_[i].pid > 0) {
        fds.push_back({workers_[i].pidfd, POLLIN, 0});
        index.push_back(i);
      }
    int timeout_ms = -1;
    if (stopping_ && !killed_) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(kill_at_ - Clock::now()).count();
      timeout_ms = static_cast<int>(std::max<long long>(0, left));
    }
    const int r = ::poll(fds.data(), fds.size(), timeout_ms);
    if (r < 0) {
      if (errno == EINTR) return;
      std::perror("coreio: serve_processes: poll");
      kill_all();
      reap_all();
      clean_ = false;
      return;
    }
    if (fds[0].revents & POLLIN) on_signal();
    for (std::size_t k = 1; k < fds.size(); ++k)
      if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) on_exit(index[k - 1]);
  }

  void on_signal() {
    signalfd_siginfo info;
    while (::read(sigfd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) stop(SIGTERM);
  }

  void on_exit(std::size_t i) {
    Worker& w = workers_[i];
    siginfo_t info{};
    if (::waitid(P_PIDFD, static_cast<id_t>(w.pidfd), &info, WEXITED) != 0) return;
    close_fd(w.pidfd);
    w.pid = -1;
    if (stopping_) {
      const bool ok = (info.si_code == CLD_EXITED && info.si_status == 0) ||
          (info.si_code == CLD_KILLED && info.si_status == SIGTERM);
      if (!ok) clean_ = false;
      return;
    }
    crashed(i);
  }

  /// Worker i is gone while the group runs: replace it, or give up.
  void crashed(std::size_t i) {
    const auto now = Clock::now();
    while (!restarts_.empty() && now - restarts_.front() > opts_.restart_window) restarts_.pop_front();
    if (restarts_.size() >= opts_.max_restarts) {
      std::fprintf(
          stderr, "coreio: serve_processes: workers keep crashing (%zu restarts within %lld ms); stopping\n",
          restarts_.size(),
          static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(opts_.restart_window).count()));
      crashed_ = true;
      stop(SIGTERM);
      return;
    }
    restarts_.push_back(now);
    start(i, /*first=*/false);
  }

  /// Enters (or repeats) the stop: forwards `sig` to every live worker.
  void stop(int sig) {
    if (!stopping_) {
      stopping_ = true;
      kill_at_ = Clock::now() + opts_.drain_timeout + opts_.kill_grace;
    }
    for (const Worker& w : workers_)
      if (w.pid > 0) ::kill(w.pid, sig);
  }

  void kill_all() {
    killed_ = true;
    for (const Worker& w : workers_)
      if (w.pid > 0) {
        clean_ = false;
        ::kill(w.pid, SIGKILL);
      }
  }

  void reap_all() {
    for (Worker& w : workers_)
      if (w.pid > 0) {
        ::waitpid(w.pid, nullptr, 0);
        close_fd(w.pidfd);
        w.pid = -1;
      }
  }

  ProcessGroupServe fn_;
  ProcessGroupOptions opts_;
  std::vector<Worker> workers_;
  sigset_t original_mask_{};
  int sigfd_ = -1;
  std::deque<Clock::time_point> restarts_; ///< replacements inside restart_window
  bool stopping_ = false;
  bool killed_ = false; ///< the SIGKILL deadline passed
  bool clean_ = true; ///< every worker stopped on its own, with status 0
  bool crashed_ = false; ///< the crash budget was spent
  Clock::time_point kill_at_{};
};

} // namespace

int serve_processes(std::size_t n, ProcessGroupServe fn, ProcessGroupOptions options) {
  if (n == 0) throw ValueError("serve_processes: n must be at least 1");
  if (!fn) throw ValueError("serve_processes: empty fn");
  if (options.drain_timeout.count() < 0 || options.kill_grace.count() < 0 || options.restart_window.count() <= 0)
    throw ValueError("serve_processes: drain_timeout and kill_grace must be >= 0, restart_window > 0");
  if (const int threads = thread_count(); threads != 1)
    throw RuntimeError("serve_processes: the calling process has " + std::to_string(threads) +
                       " threads; call it before anything starts a thread (it forks its workers)");
  Supervisor supervisor(n, std::move(fn), std::move(options));
  return supervisor.run();
}

} // namespace coreio
