// Subprocesses (subprocess.hpp): spawning, the pidfd watch, wait and
// communicate.
//
// # The exit watch (no thread per child)
//  1. create_subprocess spawns the child, opens its pidfd and wraps it in a
//     posix::stream_descriptor on the calling task's loop, then starts one
//     async_wait(wait_read) there (we are on that loop's thread, so the
//     descriptor is only ever touched by that thread until it is released).
//  2. The handler runs on the loop thread when the child has exited. Under
//     `mu`, it reaps the child (waitid(P_PIDFD, WEXITED): it cannot block,
//     the child is a zombie by now), records returncode and takes the
//     waiters; then it completes their futures outside the lock.
//  3. wait() registers a fresh Future under `mu` unless the child is
//     already reaped, then awaits it. One future per call, so cancelling one
//     waiter (which cancels the future it awaits) never disturbs another.
//  4. send_signal() uses pidfd_send_signal under `mu`, so it cannot race
//     with the reap of step 2 nor hit a recycled pid.
//  5. The handler holds the state alive until the child is reaped. If the
//     loop's io_context is destroyed first (runtime closed with the child
//     still running), the handler is destroyed unrun and the state's
//     destructor kills and reaps the child: asyncio's transport close kills
//     a still-running child too, and no zombie is left.
#include "coreio/net/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "coreio/detail/asio_loop.hpp"
#include "coreio/detail/future_state.hpp"
#include "coreio/loop.hpp"
#include "coreio/task.hpp"

extern char** environ;

namespace coreio {

namespace detail {

struct ProcessState {
  pid_t pid = -1;
  int pidfd = -1;
  std::optional<boost::asio::posix::stream_descriptor> watch; ///< loop thread only (step 1)
  std::mutex mu;
  bool reaped = false;
  int returncode = 0;
  std::vector<Ref<FutureState<int>>> waiters;

  ~ProcessState() {
    if (!reaped && pid > 0) {
      // Step 5: nobody will reap it any more.
      if (pidfd >= 0) ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
      ::waitpid(pid, nullptr, 0);
    }
    watch.reset();
    if (pidfd >= 0) ::close(pidfd);
  }

  /// Step 2 (loop thread).
  void on_exit() {
    std::vector<Ref<FutureState<int>>> wake;
    int rc = 0;
    {
      std::lock_guard g(mu);
      siginfo_t info{};
      if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) < 0) {
        // Reaped by someone else (a SIGCHLD handler calling waitpid(-1)):
        // the status is lost; report 255 as Python does for unknown status.
        rc = 255;
      } else {
        rc = info.si_code == CLD_EXITED ? info.si_status : -info.si_status;
      }
      reaped = true;
      returncode = rc;
      wake.swap(waiters);
    }
    // The watch has its own copy of the pidfd; `pidfd` itself stays open
    // for step 4 until the state goes.
    watch.reset();
    for (auto& w : wake) (void)w->set_result(rc);
  }
};

namespace {

[[noreturn]] void throw_spawn_error(int err, const std::string& program) {
  const std::string what = "cannot run '" + program + "'";
  if (err == ENOENT) throw FileNotFoundError(err, std::system_category(), what);
  throw OSError(err, std::system_category(), what);
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

/// pipe2 with both ends close-on-exec: posix_spawn's dup2 gives the child
/// its end without the flag; nobody else inherits either end.
std::pair<Fd, Fd> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) throw OSError(errno, std::system_category(), "pipe2");
  return {Fd(p[0]), Fd(p[1])};
}

struct SpawnPlan {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  SpawnPlan() {
    ::posix_spawn_file_actions_init(&fa);
    ::posix_spawnattr_init(&attr);
  }
  ~SpawnPlan() {
    ::posix_spawn_file_actions_destroy(&fa);
    ::posix_spawnattr_destroy(&attr);
  }
  SpawnPlan(const SpawnPlan&) = delete;
  SpawnPlan& operator=(const SpawnPlan&) = delete;
};

template <class Stream>
Stream descriptor_on(Loop& loop, Fd& fd) {
  return Stream(detail::io_context_of(loop), fd.release());
}

} // namespace
} // namespace detail

pid_t Process::pid() const noexcept { return s_->pid; }

std::optional<int> Process::returncode() const {
  std::lock_guard g(s_->mu);
  if (!s_->reaped) return std::nullopt;
  return s_->returncode;
}

int Process::wait() {
  auto st = detail::Ref<detail::FutureState<int>>::adopt(new detail::FutureState<int>());
  {
    std::lock_guard g(s_->mu);
    if (s_->reaped) return s_->returncode;
    s_->waiters.push_back(st);
  }
  Future<int> f(st, st.get());
  return f.get();
}

std::pair<std::string, std::string> Process::communicate(std::optional<std::string> input) {
  if (input && !stdin) throw ValueError("communicate(input): stdin is not PIPE");
  std::vector<TaskHandle> helpers;
  std::optional<Task<void>> feeder;
  std::optional<Task<std::string>> err_reader;
  try {
    if (stdin) {
      feeder = create_task([w = *stdin, data = std::move(input)]() mutable {
        try {
          if (data && !data->empty()) {
            w.write(*data);
            w.drain();
          }
          w.close();
          w.wait_closed();
        } catch (const BrokenPipeError&) {
          // The child exited without reading all of its input (asyncio ignores it).
        } catch (const ConnectionResetError&) {
        }
      });
      helpers.push_back(feeder->handle());
    }
    if (stderr) {
      err_reader = create_task([r = *stderr]() mutable { return r.read(-1); });
      helpers.push_back(err_reader->handle());
    }
    std::string out = stdout ? stdout->read(-1) : std::string();
    std::string err = err_reader ? std::move(err_reader->get()) : std::string();
    if (feeder) feeder->get();
    wait();
    return {std::move(out), std::move(err)};
  } catch (...) {
    // Cancelled or failed: the helpers must not outlive this call's purpose.
    for (auto& h : helpers) h.cancel();
    throw;
  }
}

void Process::send_signal(int sig) {
  std::lock_guard g(s_->mu);
  if (s_->reaped) throw ProcessLookupError(ESRCH, std::system_category(), "send_signal: the process has exited");
  if (::syscall(SYS_pidfd_send_signal, s_->pidfd, sig, nullptr, 0) < 0) {
    const int err = errno;
    if (err == ESRCH) throw ProcessLookupError(err, std::system_category(), "send_signal");
    throw OSError(err, std::system_category(), "send_signal");
  }
}

void Process::terminate() { send_signal(SIGTERM); }
void Process::kill() { send_signal(SIGKILL); }

namespace detail {
namespace {

void check_spawn_args(const std::vector<std::string>& args, const SubprocessOptions& opts) {
  using Kind = Redirect::Kind;
  if (args.empty() || args[0].empty()) throw ValueError("create_subprocess: empty program");
  if (opts.stdin.kind == Kind::to_stdout || opts.stdout.kind == Kind::to_stdout)
    throw ValueError("STDOUT is only valid for stderr");
  if (opts.limit == 0) throw ValueError("limit must be > 0");
  if (!current_task()) throw RuntimeError("create_subprocess_*() must be called from a task");
}

/// The child's side of one standard stream: `child_end` is our pipe end for it.
void add_redirect(SpawnPlan& plan, const Redirect& r, int target, const Fd& child_end) {
  using Kind = Redirect::Kind;
  switch (r.kind) {
  case Kind::inherit: break;
  case Kind::pipe: ::posix_spawn_file_actions_adddup2(&plan.fa, child_end.fd, target); break;
  case Kind::devnull:
    ::posix_spawn_file_actions_addopen(&plan.fa, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
    break;
  case Kind::to_stdout: ::posix_spawn_file_actions_adddup2(&plan.fa, 1, 2); break;
  case Kind::fd:
    if (r.fd == target) {
      // dup2 onto itself would keep FD_CLOEXEC, if set: clear it in the
      // child through a detour via a free number.
      ::posix_spawn_file_actions_adddup2(&plan.fa, r.fd, 1023);
      ::posix_spawn_file_actions_adddup2(&plan.fa, 1023, target);
      ::posix_spawn_file_actions_addclose(&plan.fa, 1023);
    } else {
      ::posix_spawn_file_actions_adddup2(&plan.fa, r.fd, target);
    }
    break;
  }
}

/// Default signal handling and mask in the child; a new session if asked.
void set_spawn_attributes(SpawnPlan& plan, const SubprocessOptions& opts) {
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&plan.attr, &none);
  ::posix_spawnattr_setsigdefault(&plan.attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (opts.start_new_session) flags |= POSIX_SPAWN_SETSID;
  ::posix_spawnattr_setflags(&plan.attr, flags);
}

/// NUL-terminated string arrays over owned strings.
struct CStrings {
  std::vector<std::string> store;
  std::vector<char*> ptrs;
  explicit CStrings(std::vector<std::string> s) : store(std::move(s)) {
    for (auto& a : store) ptrs.push_back(a.data());
    ptrs.push_back(nullptr);
  }
};

/// Step 1 of the exit protocol: the pidfd, and its watch on `loop`'s io_context.
void watch_exit(const std::shared_ptr<ProcessState>& state, Loop& loop) {
  state->pidfd = static_cast<int>(::syscall(SYS_pidfd_open, state->pid, 0));
  if (state->pidfd < 0) {
    const int err = errno;
    ::kill(state->pid, SIGKILL);
    ::waitpid(state->pid, nullptr, 0);
    state->reaped = true;
    throw OSError(err, std::system_category(), "pidfd_open (Linux >= 5.3 is required)");
  }
  using Descriptor = boost::asio::posix::stream_descriptor;
  state->watch.emplace(io_context_of(loop), ::fcntl(state->pidfd, F_DUPFD_CLOEXEC, 0));
  state->watch->async_wait(Descriptor::wait_read, [state](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;
    state->on_exit();
  });
}

} // namespace
} // namespace detail

Process detail::spawn_process(const std::vector<std::string>& args, detail::Launch how, SubprocessOptions opts) {
  using detail::Fd;
  using Kind = Redirect::Kind;
  detail::check_spawn_args(args, opts);
  const bool shell = how == detail::Launch::shell;
  Loop& loop = get_running_loop();

  detail::SpawnPlan plan;
  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  if (opts.stdin.kind == Kind::pipe) std::tie(in_r, in_w) = detail::make_pipe();
  if (opts.stdout.kind == Kind::pipe) std::tie(out_r, out_w) = detail::make_pipe();
  if (opts.stderr.kind == Kind::pipe) std::tie(err_r, err_w) = detail::make_pipe();
  detail::add_redirect(plan, opts.stdin, 0, in_r);
  detail::add_redirect(plan, opts.stdout, 1, out_w);
  detail::add_redirect(plan, opts.stderr, 2, err_w); // after stdout, so STDOUT copies the final fd 1
  ::posix_spawn_file_actions_addclosefrom_np(&plan.fa, 3);
  if (opts.cwd) ::posix_spawn_file_actions_addchdir_np(&plan.fa, opts.cwd->c_str());
  detail::set_spawn_attributes(plan, opts);

  detail::CStrings argv(shell ? std::vector<std::string>{"/bin/sh", "-c", args[0]} : args);
  std::optional<detail::CStrings> envp;
  if (opts.env) {
    std::vector<std::string> vars;
    for (const auto& [k, v] : *opts.env) vars.push_back(std::string(k).append("=").append(v));
    envp.emplace(std::move(vars));
  }
  char** env = envp ? envp->ptrs.data() : environ;

  auto state = std::make_shared<detail::ProcessState>();
  const int rc = shell ? ::posix_spawn(&state->pid, "/bin/sh", &plan.fa, &plan.attr, argv.ptrs.data(), env)
                       : ::posix_spawnp(&state->pid, argv.ptrs[0], &plan.fa, &plan.attr, argv.ptrs.data(), env);
  if (rc != 0) {
    state->pid = -1;
    detail::throw_spawn_error(rc, argv.store[0]);
  }
  // The child has its ends now; ours would hide EOF from the readers.
  in_r = Fd();
  out_w = Fd();
  err_w = Fd();
  detail::watch_exit(state, loop);

  using Descriptor = boost::asio::posix::stream_descriptor;
  Process proc(state);
  const StreamOptions sopts{.limit = opts.limit};
  if (in_w.fd >= 0) proc.stdin = make_stream_writer(detail::descriptor_on<Descriptor>(loop, in_w), sopts);
  if (out_r.fd >= 0) proc.stdout = make_stream_reader(detail::descriptor_on<Descriptor>(loop, out_r), sopts);
  if (err_r.fd >= 0) proc.stderr = make_stream_reader(detail::descriptor_on<Descriptor>(loop, err_r), sopts);
  return proc;
}

Process create_subprocess_exec(const std::vector<std::string>& argv, SubprocessOptions opts) {
  return detail::spawn_process(argv, detail::Launch::exec, std::move(opts));
}

Process create_subprocess_shell(const std::string& cmd, SubprocessOptions opts) {
  return detail::spawn_process({cmd}, detail::Launch::shell, std::move(opts));
}

} // namespace coreio
