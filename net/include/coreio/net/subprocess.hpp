// Subprocesses: asyncio.create_subprocess_exec / create_subprocess_shell and
// asyncio.subprocess.Process.
//
//   auto proc = coreio::create_subprocess_exec({"ls", "-l", "/"},
//                                              {.stdout = coreio::PIPE, .stderr = coreio::PIPE});
//   auto [out, err] = proc.communicate();
//   int rc = *proc.returncode();
//
// # Spawning
// posix_spawnp (glibc's vfork-style clone: safe in a multithreaded process)
// with the requested redirections, the signal mask emptied and dispositions
// reset, and every fd above 2 closed in the child (Python's close_fds=True).
// A program that cannot be executed is reported by the spawn itself:
// FileNotFoundError for a missing program, OSError otherwise.
//
// # Pipes
// stdin/stdout/stderr with PIPE are coreio's StreamWriter / StreamReader
// (net/streams.hpp) over non-blocking pipe ends wrapped in Asio
// posix::stream_descriptors on the spawning task's loop. Readers are
// pull-driven: nothing is read unless a task reads, so a child that writes
// more than a pipe holds (64 KiB) to a pipe nobody reads will block; use
// communicate(), which reads stdout and stderr concurrently while it feeds
// stdin, to avoid that deadlock (asyncio's advice too).
//
// # Waiting
// No thread per child: a pidfd (pidfd_open, Linux >= 5.3) is watched by the
// spawning loop's io_context; when it becomes readable the loop reaps the
// child with waitid(P_PIDFD), sets returncode (negative signal number if a
// signal killed it) and wakes every wait()er. The child is reaped even if
// nobody waits (no zombies). Signals go through pidfd_send_signal, so a
// recycled pid can never be hit.
//
// Thread safety: a Process is a shared handle: copies refer to the same
// child; wait(), returncode(), send_signal() are safe from any task on any
// loop. The pipe streams follow StreamReader/StreamWriter's rules.
// Resumes on: a task in wait() is woken by the loop that reaped the child.
// Cancellation: cancelling wait() or communicate() raises CancelledError in
// the caller and does not kill the child (asyncio's rule); communicate()'s
// helper tasks are cancelled with it.
// Throws: see each function.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "coreio/net/exceptions.hpp"
#include "coreio/net/streams.hpp"

namespace coreio {

class Loop;

/// Python's FileNotFoundError (ENOENT): e.g. the program to run does not exist.
class FileNotFoundError : public OSError {
public:
  using OSError::OSError;
};

/// Python's ProcessLookupError (ESRCH): signalling a process that was already reaped.
class ProcessLookupError : public OSError {
public:
  using OSError::OSError;
};

/// Where a child's standard stream goes (asyncio's stdin=/stdout=/stderr=).
struct Redirect {
  enum class Kind : unsigned char { inherit, pipe, devnull, to_stdout, fd };
  Kind kind = Kind::inherit;
  int fd = -1; ///< Kind::fd: this descriptor of ours (dup'ed into the child)

  /// An existing file descriptor (asyncio accepts file objects and fds).
  static Redirect from_fd(int fd) { return {Kind::fd, fd}; }
  friend bool operator==(const Redirect&, const Redirect&) = default;
};

/// asyncio.subprocess.PIPE: a new pipe, exposed as Process::stdin/stdout/stderr.
inline constexpr Redirect PIPE{Redirect::Kind::pipe};
/// asyncio.subprocess.STDOUT (stderr only): stderr goes where stdout goes.
inline constexpr Redirect STDOUT{Redirect::Kind::to_stdout};
/// asyncio.subprocess.DEVNULL: /dev/null.
inline constexpr Redirect DEVNULL{Redirect::Kind::devnull};
/// asyncio's None: inherit the parent's stream (the default).
inline constexpr Redirect INHERIT{Redirect::Kind::inherit};

struct SubprocessOptions {
  Redirect stdin = INHERIT;
  Redirect stdout = INHERIT;
  Redirect stderr = INHERIT;
  /// asyncio's limit=: the StreamReaders' buffer limit.
  std::size_t limit = 64 * 1024;
  /// Popen's cwd=.
  std::optional<std::string> cwd = std::nullopt;
  /// Popen's env=: the child's whole environment (default: ours).
  std::optional<std::map<std::string, std::string>> env = std::nullopt;
  /// Popen's start_new_session=: setsid() in the child.
  bool start_new_session = false;
};

class Process;
namespace detail {
struct ProcessState;
/// How create_subprocess_exec/_shell start the child.
enum class Launch { exec, shell };
/// Their shared implementation (shell: argv is {cmd}, run as /bin/sh -c cmd).
Process spawn_process(const std::vector<std::string>& argv, Launch how, SubprocessOptions opts);
} // namespace detail

/// asyncio.subprocess.Process.
class Process {
public:
  /// The child's pid.
  [[nodiscard]] pid_t pid() const noexcept;
  /// nullopt while running; the exit status, or -N if signal N ended it.
  [[nodiscard]] std::optional<int> returncode() const;

  /// PIPE streams (nullopt / empty for other redirections).
  std::optional<StreamWriter> stdin;
  std::optional<StreamReader> stdout;
  std::optional<StreamReader> stderr;

  /// Waits until the child has exited (and been reaped); returns returncode.
  /// Unlike asyncio it does not also wait for the pipes to close: they are
  /// read on demand (see "Pipes"). Throws CancelledError.
  int wait();

  /// Feeds `input` to stdin (then closes it), reads stdout and stderr to EOF
  /// concurrently, then waits for the exit. Returns (stdout, stderr), empty
  /// for streams that are not PIPE. BrokenPipe/ConnectionReset on stdin are
  /// ignored (the child may exit without reading). Throws ValueError if
  /// input is given but stdin is not PIPE; CancelledError; a read error.
  std::pair<std::string, std::string> communicate(std::optional<std::string> input = std::nullopt);

  /// Sends `sig`. Throws ProcessLookupError once the child has been reaped.
  void send_signal(int sig);
  /// SIGTERM.
  void terminate();
  /// SIGKILL.
  void kill();

private:
  friend Process detail::spawn_process(const std::vector<std::string>&, detail::Launch, SubprocessOptions);
  explicit Process(std::shared_ptr<detail::ProcessState> s) : s_(std::move(s)) {}
  std::shared_ptr<detail::ProcessState> s_;
};

/// asyncio.create_subprocess_exec(program, *args, ...): argv[0] is looked up
/// in PATH unless it contains a '/'. Must be called from a task (the
/// task's loop watches the child and drives its pipes).
/// Throws FileNotFoundError (no such program), OSError (any other spawn
/// failure), ValueError (empty argv, STDOUT for stdout or stdin, limit 0),
/// RuntimeError outside a task.
Process create_subprocess_exec(const std::vector<std::string>& argv, SubprocessOptions opts = {});

/// asyncio.create_subprocess_shell(cmd, ...): /bin/sh -c cmd.
Process create_subprocess_shell(const std::string& cmd, SubprocessOptions opts = {});

} // namespace coreio
