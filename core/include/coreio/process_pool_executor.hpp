// ProcessPoolExecutor: concurrent.futures.ProcessPoolExecutor.
//
// Calls run in worker processes, so CPU-bound work uses other cores without
// touching the loops. C++ cannot pickle a closure, so a worker runs only
// *registered* functions: plain functions named once, at namespace scope,
// with COREIO_REGISTER_PROCESS_FUNCTION. Arguments and results are serialized
// with cereal's binary archives (any type cereal can serialize; the common
// standard types are included below) and travel over a socket.
//
//   std::vector<double> compute(std::vector<int> xs);      // any signature
//   COREIO_REGISTER_PROCESS_FUNCTION(compute);
//
//   int main(int argc, char** argv) {
//     if (coreio::process_worker_main(argc, argv)) return 0;   // first thing
//     coreio::run([] {
//       coreio::ProcessPoolExecutor pool;
//       auto r = coreio::get_running_loop().run_in_executor(&pool, compute, std::vector{1, 4, 9}).get();
//     });
//   }
//
// # Workers
// A worker is this same executable, started with posix_spawn (no fork of the
// multithreaded parent) as `/proc/self/exe --coreio-worker 3`, with one end of
// a socketpair as fd 3, every other fd above 2 closed, signals at their
// defaults and COREIO_PROCESS_WORKER=1 in its environment. main() must call
// process_worker_main(argc, argv) first: it recognises that command line,
// serves calls until the parent closes the socket (or dies), and returns
// true; main then returns. A program that forgets the call would run its
// whole main again in each worker: a worker that exits without greeting the
// parent fails its call with a BrokenProcessPool naming the missing hook, and
// a ProcessPoolExecutor constructed in such a process (the environment
// variable still set) throws instead of spawning workers recursively.
// Registrations must be linked into the executable (a registration in an
// unreferenced object of a static library is dropped by the linker).
//
// Workers start on demand, up to max_workers, each running one call at a
// time. One manager thread per executor (not a loop) owns the workers: it
// polls their sockets and pidfds, writes requests, reads results and
// completes the futures; completions reach waiting tasks through the loops'
// inboxes like any cross-thread completion. So the executor needs no
// runtime and works from plain threads too, like concurrent.futures.
//
// A worker that crashes, exits or is killed fails only the call it was
// running, with BrokenProcessPool; it is reaped (no zombie) and replaced on
// demand, and queued calls still complete. A call that throws in the worker
// fails its future with ProcessError (the remote exception's type name and
// what()). With max_tasks_per_child a worker is retired (and later replaced)
// after that many calls.
//
// Thread safety: submit() and shutdown() may be called from any thread.
// Resumes on: a task waiting on a call's future is posted back to its loop
// by the manager thread.
// Cancellation: a queued call whose future is cancelled is never sent; a call
// already sent runs to the end in its worker and its result is dropped.
// shutdown(cancel_futures = true) cancels every queued call; a bounded
// shutdown(wait, cancel_futures, kill_after) also SIGKILLs workers whose
// calls are still running after kill_after, so a hung call cannot keep the
// program (or the destructor) from ending.
//
// Parent death: a worker dies with its parent (PR_SET_PDEATHSIG = SIGKILL,
// plus a getppid() check for a parent that died while it started), even in
// the middle of an endless call: SIGKILL or _Exit of the parent leaves no
// worker running.
// Throws: submit() throws ValueError for an unregistered function,
// RuntimeError after shutdown, and whatever cereal throws for arguments it
// cannot serialize. The constructor throws ValueError (max_workers == 0) and
// RuntimeError (in a worker process that did not call process_worker_main).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "coreio/detail/future_state.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/future.hpp"

namespace coreio {

/// A call raised an exception inside its worker process. remote_type() is
/// the exception's demangled dynamic type (e.g. "std::invalid_argument"),
/// what() its message.
class ProcessError : public std::runtime_error {
public:
  ProcessError(std::string remote_type, const std::string& message)
      : std::runtime_error(message), remote_type_(std::move(remote_type)) {}
  [[nodiscard]] const std::string& remote_type() const noexcept { return remote_type_; }

private:
  std::string remote_type_;
};

/// The worker-process hook. Call it first thing in main(): if this process
/// was started as a ProcessPoolExecutor worker it serves calls until its pool
/// lets it go and returns true (main should then return 0); otherwise it
/// returns false at once and does nothing.
bool process_worker_main(int argc, char** argv);

namespace detail {

/// Any function pointer, as a registry key (converted back before any call).
using AnyFunction = void (*)();

/// Runs a registered function on a serialized argument tuple and returns its
/// serialized result. Runs in the worker; throws what the function throws.
using ProcessInvoker = std::string (*)(const std::string& args);

/// Registers `name` for `fn`. Returns true. Registering the same function
/// under the same name twice is a no-op; a name reused for another function
/// ends the program at start-up with a message (a static initializer cannot
/// report it any other way).
bool register_process_function(const char* name, AnyFunction fn, ProcessInvoker invoker);
/// The registered name of `fn`, or nullptr.
[[nodiscard]] const std::string* process_function_name(AnyFunction fn);

/// What running one registered call produced (the worker side of any
/// executor that ships registered functions: processes, MPI ranks).
struct ProcessOutcome {
  enum class Kind : std::uint8_t { result, error, unknown_function };
  Kind kind = Kind::result;
  std::string payload = {}; ///< result blob (result), what() (error), a message (unknown_function)
  std::string error_type = {}; ///< demangled exception type (error)
};
/// Looks `name` up in this process's registry and runs it on `args` (a
/// cereal blob of its parameter tuple). Never throws: an exception of the
/// function becomes Kind::error with its type and what().
[[nodiscard]] ProcessOutcome run_registered_function(const std::string& name, const std::string& args) noexcept;

template <class Tuple>
std::string to_blob(const Tuple& t) {
  std::ostringstream os;
  {
    cereal::BinaryOutputArchive ar(os);
    ar(t);
  }
  return std::move(os).str();
}

template <class T>
T from_blob(const std::string& blob) {
  std::istringstream is(blob);
  cereal::BinaryInputArchive ar(is);
  T value{};
  ar(value);
  return value;
}

template <class Fn>
struct ProcessSignature;
template <class R, class... P>
struct ProcessSignature<R (*)(P...)> {
  using result = std::decay_t<R>;
  using args = std::tuple<std::decay_t<P>...>;
};
template <class R, class... P>
struct ProcessSignature<R (*)(P...) noexcept> : ProcessSignature<R (*)(P...)> {};

template <auto Fn>
std::string invoke_process_function(const std::string& blob) {
  using Sig = ProcessSignature<decltype(Fn)>;
  auto args = from_blob<typename Sig::args>(blob);
  if constexpr (std::is_void_v<typename Sig::result>) {
    std::apply(Fn, std::move(args));
    return to_blob(std::tuple<>{});
  } else {
    return to_blob(std::make_tuple(std::apply(Fn, std::move(args))));
  }
}

/// Decodes a result blob into the call's future (parent side).
using ProcessCompleter = void (*)(FutureStateBase& future, const std::string& result);

template <class R>
void complete_process_call(FutureStateBase& future, const std::string& blob) {
  auto& st = static_cast<FutureState<R>&>(future);
  if constexpr (std::is_void_v<R>) {
    (void)from_blob<std::tuple<>>(blob);
    (void)st.set_result();
  } else {
    (void)st.set_result(std::move(std::get<0>(from_blob<std::tuple<R>>(blob))));
  }
}

/// One call on its way to a worker.
struct ProcessCall {
  const std::string* function; ///< registered name (registry entries are never freed)
  std::string args;            ///< cereal blob of the argument tuple
  Ref<FutureStateBase> future;
  ProcessCompleter complete;
};

/// The caller's side of submit(fn, args...) for every executor of registered
/// functions (ProcessPoolExecutor, coreio::mpi's MpiExecutor): looks fn up,
/// serializes the arguments as fn's parameter types, and makes the future
/// the call will complete. `executor` names the caller in the error.
template <class R, class... P, class... A>
std::pair<Future<std::decay_t<R>>, ProcessCall> make_process_call(const char* executor, R (*fn)(P...), A&&... args) {
  using T = std::decay_t<R>;
  const std::string* name = process_function_name(reinterpret_cast<AnyFunction>(fn));
  if (!name)
    throw ValueError(std::string(executor) + ": the function is not registered with COREIO_REGISTER_PROCESS_FUNCTION");
  std::string blob = to_blob(std::tuple<std::decay_t<P>...>(std::forward<A>(args)...));
  auto st = Ref<FutureState<T>>::adopt(new FutureState<T>());
  Future<T> fut(st, st.get());
  return {std::move(fut), ProcessCall{name, std::move(blob), std::move(st), &complete_process_call<T>}};
}

class ProcessPool;

} // namespace detail

class ProcessPoolExecutor {
public:
  /// max_workers: nullopt = hardware threads. max_tasks_per_child: nullopt =
  /// workers live until shutdown; n = a worker is replaced after n calls.
  explicit ProcessPoolExecutor(std::optional<std::size_t> max_workers = std::nullopt,
                               std::optional<std::size_t> max_tasks_per_child = std::nullopt);
  /// shutdown(wait = true): waits for every call, then for every worker to exit.
  ~ProcessPoolExecutor();
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;

  /// concurrent.futures submit(fn, *args): fn must be registered; args are
  /// converted to fn's parameter types and serialized now, in the caller.
  template <class R, class... P, class... A>
    requires(sizeof...(P) == sizeof...(A) && (std::is_constructible_v<std::decay_t<P>, A &&> && ...))
  Future<std::decay_t<R>> submit(R (*fn)(P...), A&&... args) {
      auto [fut, call] = detail::make_process_call("ProcessPoolExecutor", fn, std::forward<A>(args)...);
      submit_call(std::move(call));
      return fut;
  }

  /// concurrent.futures shutdown(wait=True, *, cancel_futures=False): no new
  /// calls; with cancel_futures, queued calls are cancelled; with wait,
  /// returns when every call has finished and every worker has exited and
  /// been reaped. Without wait the destructor does that waiting.
  void shutdown(bool wait = true, bool cancel_futures = false);

  /// A bounded shutdown, for a program with a stuck call that must still
  /// exit: as shutdown(wait, cancel_futures), and once `kill_after` has
  /// passed, calls still queued are cancelled and every worker still running
  /// a call is SIGKILLed (its future fails with BrokenProcessPool). The
  /// deadline also bounds a later shutdown() and the destructor, so
  /// shutdown(false, true, 2s) then leaving scope ends within about 2 s. A
  /// second bounded shutdown may shorten the deadline, not lengthen it.
  void shutdown(bool wait, bool cancel_futures, std::chrono::nanoseconds kill_after);

  [[nodiscard]] std::size_t max_workers() const noexcept { return max_workers_; }

private:
  void submit_call(detail::ProcessCall call);

  std::size_t max_workers_;
  std::unique_ptr<detail::ProcessPool> pool_;
};

} // namespace coreio

#define COREIO_PROCESS_CAT2(a, b) a##b
#define COREIO_PROCESS_CAT(a, b) COREIO_PROCESS_CAT2(a, b)

/// Registers a function under an explicit name (unique in the program).
#define COREIO_REGISTER_PROCESS_FUNCTION_AS(name, fn)                                                                  \
  [[maybe_unused]] static const bool COREIO_PROCESS_CAT(coreio_process_function_, __LINE__) =                          \
      ::coreio::detail::register_process_function(name, reinterpret_cast<::coreio::detail::AnyFunction>(&fn),          \
                                                  &::coreio::detail::invoke_process_function<&fn>)

/// Registers a function for ProcessPoolExecutor under its spelling as name.
/// Use at namespace scope, in a file linked into the executable.
#define COREIO_REGISTER_PROCESS_FUNCTION(fn) COREIO_REGISTER_PROCESS_FUNCTION_AS(#fn, fn)
