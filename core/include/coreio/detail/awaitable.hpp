// What the composition functions accept, and how they read it.
//
// asyncio's composition functions take "awaitables": futures, tasks, and
// coroutines, which they wrap in tasks (ensure_future). coreio's equivalents:
//  - FutureLike: a Future<T> or Task<T> (anything derived from Future<T>);
//  - TaskBody:   a callable taking no arguments, which becomes a new task
//                (create_task), as asyncio wraps a coroutine;
//  - Waitable:   anything with a shared future state, TaskHandle included
//                (wait() accepts untyped handles; it never reads results).
//
// Results are read out of done futures by take_result<Move>(): copied when the
// caller still holds the future (it may read the result again, as asyncio
// allows awaiting a task twice), moved when the composition function owns the
// only handle (a task it created from a callable, or a future passed as an
// rvalue), so move-only results work.
#pragma once

#include <concepts>
#include <exception>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "coreio/future.hpp"
#include "coreio/result.hpp"
#include "coreio/task.hpp"

namespace coreio::detail {

/// A Future<T> or Task<T>, possibly cv/ref-qualified.
template <class X>
concept FutureLike = requires { typename std::remove_cvref_t<X>::value_type; } &&
                     std::derived_from<std::remove_cvref_t<X>, Future<typename std::remove_cvref_t<X>::value_type>>;

/// A callable that becomes a task (asyncio's coroutine argument).
template <class X>
concept TaskBody = !FutureLike<X> && std::invocable<std::decay_t<X>&>;

/// What gather, as_completed, wait_for and shield accept.
template <class X>
concept Awaitable = FutureLike<X> || TaskBody<X>;

/// What wait accepts: a future, a task or an untyped TaskHandle.
template <class X>
concept Waitable = requires(const std::remove_cvref_t<X>& x) {
  { Access::state_ref(x) } -> std::convertible_to<const Ref<FutureStateBase>&>;
};

template <class X>
struct awaited;
template <class X>
  requires FutureLike<X>
struct awaited<X> {
  using type = typename std::remove_cvref_t<X>::value_type;
};
template <class X>
  requires TaskBody<X>
struct awaited<X> {
  using type = task_result_t<X>;
};

/// The type an awaitable produces (void allowed).
template <class X>
using awaited_t = typename awaited<X>::type;

/// T, or std::monostate for void.
template <class T>
using stored_t = typename ValueSlot<T>::Stored;

/// The future of an awaitable: the Task/Future itself, or a new task running
/// the callable (asyncio's ensure_future).
template <Awaitable X>
auto to_future(X&& x) {
  if constexpr (FutureLike<X>) return std::remove_cvref_t<X>(std::forward<X>(x));
  else return coreio::create_task(std::forward<X>(x));
}

/// The future type to_future() returns for X.
template <class X>
using future_of_t = decltype(to_future(std::declval<X>()));

/// True when the composition function holds the only handle to X's future:
/// a callable it turns into a task, or a future handed over as an rvalue.
template <class X>
inline constexpr bool owns_result_v = TaskBody<X> || !std::is_lvalue_reference_v<X>;

/// The outcome of a done future as a stored value (rethrows its exception or
/// CancelledError). Move: take the value out of the shared state.
template <bool Move, class T>
stored_t<T> take_result(const Future<T>& f) {
  if constexpr (std::is_void_v<T>) {
    f.result();
    return {};
  } else if constexpr (Move) {
    return stored_t<T>(std::move(f.result()));
  } else {
    return stored_t<T>(f.result());
  }
}

/// The outcome of a done future as a Result<T>, never throwing the outcome.
template <bool Move, class T>
Result<T> take_outcome(const Future<T>& f) {
  try {
    return Result<T>(take_result<Move>(f));
  } catch (...) {
    // The child's exception (CancelledError included) is its outcome.
    return Result<T>(std::current_exception());
  }
}

/// For each position, whether it is the first occurrence of its state
/// (asyncio deduplicates the futures given to wait and as_completed).
[[nodiscard]] std::vector<bool> first_occurrences(std::span<FutureStateBase* const> states);

/// For each position, whether its state appears only once in `states`
/// (only those results may be moved out).
[[nodiscard]] std::vector<bool> unique_positions(std::span<FutureStateBase* const> states);

/// The failure of a done future, marked retrieved: its exception, the
/// CancelledError of a cancelled future, or nullptr for a value.
[[nodiscard]] std::exception_ptr failure_of(FutureStateBase& f);

} // namespace coreio::detail
