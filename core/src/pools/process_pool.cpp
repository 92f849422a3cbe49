// ProcessPool (process_pool.hpp) and the ProcessPoolExecutor facade.
#include "pools/process_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <system_error>

#include "runtime/log.hpp"
#include "pools/process_protocol.hpp"

extern char** environ;

namespace coreio::detail {

namespace wire = process_protocol;

namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string describe_status(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return "exit code " + std::to_string(info.si_status);
  const char* name = ::sigabbrev_np(info.si_status);
  return std::string("signal ") + (name ? std::string("SIG") + name : std::to_string(info.si_status));
}

/// posix_spawn of /proc/self/exe as a worker on `child_sock` (becomes fd 3).
pid_t spawn_process(int child_sock) {
  // dup2 clears FD_CLOEXEC on the copy, except when source and target are
  // the same fd: then move the source out of the way first.
  int src = child_sock;
  int moved = -1;
  if (src == wire::worker_fd) {
    moved = ::fcntl(src, F_DUPFD_CLOEXEC, wire::worker_fd + 1);
    if (moved < 0) throw std::system_error(errno, std::generic_category(), "fcntl(F_DUPFD_CLOEXEC)");
    src = moved;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_adddup2(&fa, src, wire::worker_fd);
  ::posix_spawn_file_actions_addclosefrom_np(&fa, wire::worker_fd + 1);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env_store;
  std::vector<char*> envp;
  const std::string marker = std::string(wire::worker_env) + "=";
  for (char** e = environ; e && *e; ++e)
    if (std::string_view(*e).substr(0, marker.size()) != marker) envp.push_back(*e);
  env_store.push_back(marker + "1");
  envp.push_back(env_store.back().data());
  envp.push_back(nullptr);
  // arg3: our pid, so a worker started just as we die notices (process_worker_main).
  std::string arg0 = "coreio-worker", arg1 = wire::worker_flag, arg2 = std::to_string(wire::worker_fd),
              arg3 = std::to_string(::getpid());
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), arg3.data(), nullptr};

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, envp.data());
  ::posix_spawn_file_actions_destroy(&fa);
  ::posix_spawnattr_destroy(&attr);
  if (moved >= 0) ::close(moved);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn(/proc/self/exe)");
  return pid;
}

} // namespace

ProcessPool::ProcessPool(std::size_t max_workers, std::optional<std::size_t> max_tasks_per_child)
    : max_workers_(max_workers), max_tasks_per_child_(max_tasks_per_child) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  try {
    manager_ = std::thread([this] { manager_main(); });
  } catch (...) {
    close_fd(wake_fd_);
    throw;
  }
}

ProcessPool::~ProcessPool() {
  shutdown(true, false);
  close_fd(wake_fd_);
}

void ProcessPool::wake() noexcept {
  const std::uint64_t one = 1;
  // EAGAIN (counter saturated) still leaves the eventfd readable: nothing lost.
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void ProcessPool::submit(ProcessCall call) {
  {
    std::lock_guard g(mu_);
    if (shutdown_) throw RuntimeError("cannot schedule new futures after shutdown");
    incoming_.push_back(std::move(call));
  }
  wake();
}

void ProcessPool::shutdown(bool wait, bool cancel_futures,
                           std::optional<std::chrono::steady_clock::duration> kill_after) {
  std::deque<ProcessCall> cancelled;
  {
    std::lock_guard g(mu_);
    shutdown_ = true;
    if (kill_after) {
      const auto at = std::chrono::steady_clock::now() + std::max(*kill_after, std::chrono::steady_clock::duration{});
      if (!kill_at_ || at < *kill_at_) kill_at_ = at;
    }
    if (cancel_futures) {
      cancel_queued_ = true;
      cancelled.swap(incoming_);
    }
  }
  for (ProcessCall& c : cancelled) (void)c.future->cancel({});
  wake();
  if (!wait) return;
  std::lock_guard g(join_mu_);
  if (manager_.joinable()) manager_.join();
}

// ---------------------------------------------------------------- manager

void ProcessPool::manager_main() {
  pthread_setname_np(pthread_self(), "coreio-procpool");
  std::vector<pollfd> fds;
  for (;;) {
    take_incoming();                                            // step 1
    if (!stopping_ || !queue_.empty()) dispatch();              // step 2
    int timeout_ms = -1;
    if (stopping_ && kill_deadline_ && !killed_) { // bounded shutdown
      const auto left = *kill_deadline_ - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        kill_running();
      } else {
        // Rounded up: waking early would only poll again.
        timeout_ms = static_cast<int>(std::min<std::int64_t>(std::chrono::ceil<std::chrono::milliseconds>(left).count(),
                                                             std::int64_t{24} * 3600 * 1000));
      }
    }
    if (stopping_ && queue_.empty()) {                          // step 3
      for (auto& w : workers_)
        if (!w->current && !w->retiring) retire(*w);
      if (workers_.empty()) return;
    }
    fds.clear();                                                // step 4
    fds.push_back({wake_fd_, POLLIN, 0});
    for (auto& w : workers_) {
      short ev = 0;
      if (w->sock >= 0) ev = static_cast<short>(POLLIN | (w->out_off < w->out.size() ? POLLOUT : 0));
      fds.push_back({w->sock >= 0 ? w->sock : -1, ev, 0}); // fd -1: ignored by poll
      fds.push_back({w->pidfd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0) {
      if (errno == EINTR) continue;
      internal_error(std::string("process pool: poll failed: ") + std::strerror(errno));
    }
    if (fds[0].revents) {                                       // step 5
      std::uint64_t n;
      [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &n, sizeof n);
    }
    // Workers are erased after the scan (on_exit marks them with pid = -1).
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      Worker& w = *workers_[i];
      const pollfd& s = fds[1 + 2 * i];
      const pollfd& p = fds[2 + 2 * i];
      if (w.sock >= 0 && (s.revents & POLLOUT)) on_writable(w);
      if (w.sock >= 0 && (s.revents & (POLLIN | POLLHUP | POLLERR)) && !on_readable(w)) {
        // EOF we did not cause: the worker is dying or broken. Make sure.
        if (!w.retiring) ::kill(w.pid, SIGKILL);
        close_fd(w.sock);
      }
      if (p.revents) on_exit(w);
    }
    std::erase_if(workers_, [](const std::unique_ptr<Worker>& w) { return w->pid < 0; });
  }
}

void ProcessPool::take_incoming() {
  std::deque<ProcessCall> in;
  bool cancel = false;
  {
    std::lock_guard g(mu_);
    in.swap(incoming_);
    stopping_ = shutdown_;
    kill_deadline_ = kill_at_;
    cancel = std::exchange(cancel_queued_, false);
  }
  for (ProcessCall& c : in) queue_.push_back(std::move(c));
  if (cancel) {
    for (ProcessCall& c : queue_) (void)c.future->cancel({});
    queue_.clear();
  }
  // Calls cancelled by their callers are never sent.
  std::erase_if(queue_, [](const ProcessCall& c) { return c.future->done(); });
}

void ProcessPool::dispatch() {
  for (auto& w : workers_) {
    if (queue_.empty()) return;
    if (w->current || w->retiring || w->sock < 0) continue;
    ProcessCall c = std::move(queue_.front());
    queue_.pop_front();
    send_call(*w, std::move(c));
  }
  while (!queue_.empty() && workers_.size() < max_workers_) {
    if (!spawn_worker()) {
      // No new worker now: the running ones take the queue later, or, with
      // none running, the calls fail rather than wait forever.
      if (workers_.empty()) fail_queued("cannot start a worker process");
      return;
    }
    ProcessCall c = std::move(queue_.front());
    queue_.pop_front();
    send_call(*workers_.back(), std::move(c));
  }
}

bool ProcessPool::spawn_worker() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    log().error("process pool: socketpair: {}", std::strerror(errno));
    return false;
  }
  auto w = std::make_unique<Worker>();
  try {
    w->pid = spawn_process(sv[1]);
  } catch (const std::system_error& e) {
    log().error("process pool: {}", e.what());
    ::close(sv[0]);
    ::close(sv[1]);
    return false;
  }
  ::close(sv[1]); // the child has its copy; ours would hide the child's EOF
  w->sock = sv[0];
  ::fcntl(w->sock, F_SETFL, ::fcntl(w->sock, F_GETFL) | O_NONBLOCK);
  w->pidfd = pidfd_open(w->pid);
  if (w->pidfd < 0) {
    // Without a pidfd we cannot watch it: kill and reap it right here.
    log().error("process pool: pidfd_open: {}", std::strerror(errno));
    ::kill(w->pid, SIGKILL);
    ::waitpid(w->pid, nullptr, 0);
    close_fd(w->sock);
    return false;
  }
  ::fcntl(w->pidfd, F_SETFD, FD_CLOEXEC);
  workers_.push_back(std::move(w));
  return true;
}

void ProcessPool::send_call(Worker& w, ProcessCall call) {
  w.current_id = next_id_++;
  w.out = wire::frame(to_blob(wire::Request{w.current_id, *call.function, std::move(call.args)}));
  w.out_off = 0;
  call.args.clear();
  w.current = std::move(call);
  ++w.calls;
  on_writable(w); // usually the whole request fits the socket buffer now
}

void ProcessPool::on_writable(Worker& w) {
  while (w.out_off < w.out.size()) {
    const ssize_t n = ::send(w.sock, w.out.data() + w.out_off, w.out.size() - w.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      w.out_off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // EAGAIN: wait for POLLOUT. EPIPE and others: the worker is gone, and
    // its pidfd will tell (the call fails there).
    if (n < 0 && errno != EAGAIN) w.out_off = w.out.size();
    break;
  }
  if (w.out_off >= w.out.size()) {
    w.out.clear();
    w.out.shrink_to_fit();
    w.out_off = 0;
  }
}

bool ProcessPool::on_readable(Worker& w) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::recv(w.sock, buf, sizeof buf, 0);
    if (n > 0) {
      w.in.append(buf, static_cast<std::size_t>(n));
      // Every whole frame in the buffer.
      for (;;) {
        if (w.in.size() < wire::header_size) break;
        const std::uint64_t len = wire::get_header(w.in.data());
        if (len > wire::max_frame) return false; // corrupt stream: treat as dead
        if (w.in.size() < wire::header_size + len) break;
        handle_frame(w, w.in.substr(wire::header_size, len));
        w.in.erase(0, wire::header_size + len);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    return false; // 0: EOF; or an error such as ECONNRESET
  }
}

void ProcessPool::handle_frame(Worker& w, const std::string& payload) {
  wire::Reply reply;
  try {
    reply = from_blob<wire::Reply>(payload);
  } catch (const std::exception& e) {
    log().error("process pool: undecodable reply from worker {}: {}", w.pid, e.what());
    return;
  }
  if (reply.kind == wire::ReplyKind::hello) {
    w.greeted = true;
    return;
  }
  if (!w.current || reply.id != w.current_id) return; // not ours (cannot happen with one call at a time)
  ProcessCall call = std::move(*w.current);
  w.current.reset();
  FutureStateBase& f = *call.future;
  switch (reply.kind) {
  case wire::ReplyKind::result:
    try {
      call.complete(f, reply.payload);
    } catch (const std::exception& e) {
      (void)f.set_exception(std::make_exception_ptr(
          BrokenProcessPool(std::string("cannot decode the result of '") + *call.function + "': " + e.what())));
    }
    break;
  case wire::ReplyKind::error:
    (void)f.set_exception(std::make_exception_ptr(ProcessError(reply.error_type, reply.payload)));
    break;
  case wire::ReplyKind::unknown_function:
  case wire::ReplyKind::hello:
    (void)f.set_exception(std::make_exception_ptr(ProcessError("coreio::LookupError", reply.payload)));
    break;
  }
  if (max_tasks_per_child_ && w.calls >= *max_tasks_per_child_) retire(w);
}

void ProcessPool::kill_running() {
  killed_ = true;
  for (ProcessCall& c : queue_) (void)c.future->cancel({});
  queue_.clear();
  // Their pidfds report the exits; on_exit() reaps them and fails their calls
  // with BrokenProcessPool. Idle workers were retired already (step 3).
  for (auto& w : workers_)
    if (w->current) ::kill(w->pid, SIGKILL);
}

void ProcessPool::retire(Worker& w) {
  // Closing our end is the worker's signal to exit (it reads EOF).
  w.retiring = true;
  close_fd(w.sock);
}

void ProcessPool::on_exit(Worker& w) {
  // A reply written just before the exit is still in the socket.
  if (w.sock >= 0) {
    (void)on_readable(w);
    close_fd(w.sock);
  }
  siginfo_t info{};
  if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(w.pidfd), &info, WEXITED) < 0) {
    // Cannot happen for our own child; reap by pid rather than leave a zombie.
    ::waitpid(w.pid, nullptr, 0);
  }
  close_fd(w.pidfd);
  if (w.current) {
    std::string why = "A process in the process pool was terminated abruptly while the future was running (worker " +
                      std::to_string(w.pid) + ", " + describe_status(info) + ")";
    if (!w.greeted)
      why += "; it never started serving: does main() call coreio::process_worker_main(argc, argv) first?";
    (void)w.current->future->set_exception(std::make_exception_ptr(BrokenProcessPool(why)));
    w.current.reset();
  }
  w.pid = -1;
}

void ProcessPool::fail_queued(const std::string& why) {
  for (ProcessCall& c : queue_) (void)c.future->set_exception(std::make_exception_ptr(BrokenProcessPool(why)));
  queue_.clear();
}

} // namespace coreio::detail

// ==================================================================== facade

namespace coreio {

namespace {
std::size_t resolve_process_workers(std::optional<std::size_t> n) {
  if (n) {
    if (*n == 0) throw ValueError("max_workers must be greater than 0");
    return *n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? hw : 1;
}
} // namespace

ProcessPoolExecutor::ProcessPoolExecutor(std::optional<std::size_t> max_workers,
                                         std::optional<std::size_t> max_tasks_per_child)
    : max_workers_(resolve_process_workers(max_workers)) {
  if (max_tasks_per_child && *max_tasks_per_child == 0) throw ValueError("max_tasks_per_child must be >= 1");
  if (std::getenv(detail::process_protocol::worker_env))
    throw RuntimeError("ProcessPoolExecutor created in a worker process whose main() did not call "
                       "coreio::process_worker_main(argc, argv) first");
  pool_ = std::make_unique<detail::ProcessPool>(max_workers_, max_tasks_per_child);
}

ProcessPoolExecutor::~ProcessPoolExecutor() { shutdown(true, false); }

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures) { pool_->shutdown(wait, cancel_futures); }

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures, std::chrono::nanoseconds kill_after) {
  pool_->shutdown(wait, cancel_futures, std::chrono::duration_cast<std::chrono::steady_clock::duration>(kill_after));
}

void ProcessPoolExecutor::submit_call(detail::ProcessCall call) { pool_->submit(std::move(call)); }

} // namespace coreio
