// gather: asyncio.gather, run awaitables concurrently and collect their results.
//
//   auto [a, b] = coreio::gather(task_a, [] { return fetch("b"); });
//   std::vector<int> all = coreio::gather(tasks);
//   auto outcomes = coreio::gather(coreio::return_exceptions, t1, t2);
//
// Callables become tasks (created in argument order, as asyncio wraps
// coroutines); tasks and futures are awaited as they are. Results come back in
// argument order: a tuple for the variadic form (void children give
// std::monostate), a vector for the range form. A future passed twice is
// awaited once and its result appears twice (asyncio deduplicates).
//
// Thread safety: the children may run on any loop; gather may be called from
// any task (or plain OS thread, which then blocks).
// Resumes on: the calling task is woken by the last child's completion (or the
// first failure) through the gathering future (gather.cpp); it continues on
// its own loop, or wherever work stealing moves it.
// Cancellation: cancelling the task blocked in gather cancels every child not
// yet done (asyncio cancels the gathering future, which cancels its
// children). Without return_exceptions the task then gets CancelledError as
// soon as the first child ends cancelled; with it, once all children are done.
// A child cancelled on its own is an ordinary failure: a CancelledError
// outcome, and the gather itself is not cancelled.
// Throws: without return_exceptions, the first child failure (exception or
// CancelledError) propagates at once; the other children are NOT cancelled
// and keep running (asyncio's behaviour; use TaskGroup to cancel them), and
// their later failures are marked retrieved so nothing is logged. With
// return_exceptions nothing a child does is thrown: each outcome is a
// Result<T>.
//
// Results are copied out of tasks and futures the caller passed as lvalues
// (it may read them again) and moved out of tasks created from callables and
// of futures passed as rvalues (so move-only results work).
#pragma once

#include <array>
#include <cstddef>
#include <ranges>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

#include "coreio/detail/awaitable.hpp"
#include "coreio/result.hpp"

namespace coreio {

/// Tag for gather: return every child's outcome instead of raising the first
/// failure (asyncio's return_exceptions=True).
struct ReturnExceptions {
  explicit ReturnExceptions() = default;
};
inline constexpr ReturnExceptions return_exceptions{};

namespace detail {

/// Blocks until every child is done or, without `return_exceptions`, until
/// the first one fails, then rethrows that failure. With
/// `return_exceptions`, throws only CancelledError (the gather itself was
/// cancelled). Duplicates in `children` are awaited once.
void gather_wait(std::span<FutureStateBase* const> children, bool return_exceptions);

template <class... F>
std::array<FutureStateBase*, sizeof...(F)> states_of(const F&... futs) {
  return {detail::Access::state_ref(futs).get()...};
}

template <class Fut>
std::vector<FutureStateBase*> states_of_range(const std::vector<Fut>& futs) {
  std::vector<FutureStateBase*> states;
  states.reserve(futs.size());
  for (const auto& f : futs) states.push_back(detail::Access::state_ref(f).get());
  return states;
}

template <class R>
using gather_elem_t = std::ranges::range_reference_t<R>;

/// Range R's futures are owned by gather when its elements are callables or
/// the range itself is an rvalue container (its futures are handed over).
template <class R>
inline constexpr bool gather_owns_v = TaskBody<gather_elem_t<R>> || !std::is_lvalue_reference_v<R>;

template <class R>
auto gather_futures(R&& aws) {
  using Fut = future_of_t<gather_elem_t<R>>;
  std::vector<Fut> futs;
  if constexpr (std::ranges::sized_range<R>) futs.reserve(std::ranges::size(aws));
  for (auto&& x : aws) futs.push_back(to_future(std::forward<decltype(x)>(x)));
  return futs;
}

/// Reads every result (Outcomes: as Result<T>) of a gathered range, moving
/// from owned futures that appear once.
template <bool Owns, bool Outcomes, class Fut>
auto gather_collect(const std::vector<Fut>& futs, std::span<FutureStateBase* const> states) {
  using T = typename Fut::value_type;
  using Out = std::conditional_t<Outcomes, Result<T>, stored_t<T>>;
  constexpr bool copyable = std::is_copy_constructible_v<stored_t<T>>;
  static_assert(Owns || copyable, "gather: a move-only result can only be moved out of futures gather owns "
                                  "(pass the range as an rvalue, or callables)");
  auto take = []<bool Move>(const Fut& f) -> Out {
    if constexpr (Outcomes) return take_outcome<Move>(f);
    else return take_result<Move>(f);
  };
  auto read = [&](const Fut& f, bool move) -> Out {
    if (Owns && (move || !copyable)) return take.template operator()<true>(f);
    if constexpr (copyable) return take.template operator()<false>(f);
    else std::unreachable();
  };
  std::vector<Out> out;
  out.reserve(futs.size());
  if constexpr (Owns) {
    const std::vector<bool> unique = unique_positions(states);
    for (std::size_t i = 0; i < futs.size(); ++i) out.push_back(read(futs[i], unique[i]));
  } else {
    for (const auto& f : futs) out.push_back(read(f, false));
  }
  return out;
}

} // namespace detail

/// asyncio.gather(*aws): the results as a tuple, in argument order.
template <detail::Awaitable... A>
auto gather(A&&... aws) -> std::tuple<detail::stored_t<detail::awaited_t<A>>...> {
  std::tuple<detail::future_of_t<A>...> futs{detail::to_future(std::forward<A>(aws))...};
  const auto states = std::apply([](const auto&... f) { return detail::states_of(f...); }, futs);
  detail::gather_wait(states, false);
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<detail::stored_t<detail::awaited_t<A>>...>{
        detail::take_result<detail::owns_result_v<A>>(std::get<I>(futs))...};
  }(std::index_sequence_for<A...>{});
}

/// asyncio.gather(*aws, return_exceptions=True): every outcome, in argument order.
template <detail::Awaitable... A>
auto gather(ReturnExceptions, A&&... aws) -> std::tuple<Result<detail::awaited_t<A>>...> {
  std::tuple<detail::future_of_t<A>...> futs{detail::to_future(std::forward<A>(aws))...};
  const auto states = std::apply([](const auto&... f) { return detail::states_of(f...); }, futs);
  detail::gather_wait(states, true);
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<Result<detail::awaited_t<A>>...>{
        detail::take_outcome<detail::owns_result_v<A>>(std::get<I>(futs))...};
  }(std::index_sequence_for<A...>{});
}

/// asyncio.gather(*range): the results as a vector, in range order.
template <std::ranges::input_range R>
  requires detail::Awaitable<detail::gather_elem_t<R>>
auto gather(R&& aws) -> std::vector<detail::stored_t<detail::awaited_t<detail::gather_elem_t<R>>>> {
  auto futs = detail::gather_futures(std::forward<R>(aws));
  const auto states = detail::states_of_range(futs);
  detail::gather_wait(states, false);
  return detail::gather_collect<detail::gather_owns_v<R>, false>(futs, states);
}

/// asyncio.gather(*range, return_exceptions=True): every outcome, in range order.
template <std::ranges::input_range R>
  requires detail::Awaitable<detail::gather_elem_t<R>>
auto gather(ReturnExceptions, R&& aws) -> std::vector<Result<detail::awaited_t<detail::gather_elem_t<R>>>> {
  auto futs = detail::gather_futures(std::forward<R>(aws));
  const auto states = detail::states_of_range(futs);
  detail::gather_wait(states, true);
  return detail::gather_collect<detail::gather_owns_v<R>, true>(futs, states);
}

} // namespace coreio
