// select: wait for the first of several awaitables, cancel the others (the
// race of Tokio's select!, Trio's "first one wins" nursery). An extension to
// asyncio, where it takes wait(FIRST_COMPLETED), a loop of cancel() calls and
// another wait().
//
//   auto r = coreio::select([] { return fetch("primary"); },     // branch 0
//                           [] { return fetch("mirror"); },      // branch 1
//                           [] { coreio::sleep(1s); });          // branch 2
//   switch (r.index()) {
//   case 0: use(std::get<0>(r)); break;
//   case 1: use(std::get<1>(r)); break;
//   case 2: timed_out(); break;
//   }
//
// Takes one or more Tasks, Futures or callables (a callable becomes a new
// task, as in gather()) and returns a std::variant whose index() is the
// branch that finished first and whose alternative holds its value
// (std::monostate for void). Before select() returns, every other branch has
// been cancelled and has finished: its catch blocks and destructors have run.
// A loser that catches the CancelledError and returns a value, or fails, has
// that outcome dropped (an exception is marked retrieved).
//
// The first branch to finish wins whatever its outcome: if it failed, select()
// raises its exception (CancelledError if it was cancelled by someone else),
// after the losers have finished. Branches that are already done when
// select() is called, or finish at the same instant, are resolved by index:
// the winner is the lowest-index branch that is done when the selecting task
// wakes up.
//
// Thread safety: the branches may run and finish on any loop.
// Resumes on: the selecting task is woken by a done callback on the loop it
// was on when it called select() (wait()'s mechanism).
// Cancellation: cancelling the selecting task cancels every branch, waits
// until all have finished, then raises CancelledError (no value is returned,
// even if a branch had finished). A cancellation that arrives while the
// losers are being awaited does not stop that wait; the winner's value is
// returned and the cancellation stays pending, raised at the task's next
// suspension point.
// Throws: the winner's exception; CancelledError as above. Futures passed in
// are cancelled when they lose (pass a shield() to protect one).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <tuple>
#include <utility>
#include <variant>

#include "coreio/detail/awaitable.hpp"

namespace coreio {

namespace detail {

/// The non-template part (core/src/control/select.cpp): waits for the first
/// of `branches` to finish, cancels the others and waits for them; returns
/// the winner's index. Throws CancelledError if the caller is cancelled
/// (after cancelling and awaiting every branch).
std::size_t select_states(std::span<FutureStateBase* const> branches);

/// The winner's value as alternative `winner` of Variant. A value is moved
/// out only when select() holds the only handle (owns_result_v).
template <class Variant, class... X, class Futs, std::size_t... I>
Variant select_result(std::tuple<X...>* /*branch types*/, Futs& futs, std::size_t winner, std::index_sequence<I...>) {
  std::optional<Variant> out;
  // Exactly one I matches; take_result rethrows the winner's failure.
  (void)((I == winner ? (out.emplace(std::in_place_index<I>, take_result<owns_result_v<X>>(std::get<I>(futs))), true)
                      : false) ||
         ...);
  return std::move(*out);
}

} // namespace detail

/// The variant select() returns for branches X...: one alternative per branch.
template <class... X>
using Selected = std::variant<detail::stored_t<detail::awaited_t<X>>...>;

/// Waits for the first of `branches` to finish; see the file comment.
template <class... X>
requires(sizeof...(X) >= 1 && (detail::Awaitable<X> && ...)) auto select(X&&... branches) -> Selected<X...> {
  auto futs = std::make_tuple(detail::to_future(std::forward<X>(branches))...);
  const std::array<detail::FutureStateBase*, sizeof...(X)> states = std::apply(
      [](const auto&... f) {
        return std::array<detail::FutureStateBase*, sizeof...(X)>{detail::Access::state_ref(f).get()...};
      },
      futs);
  const std::size_t winner = detail::select_states(states);
  return detail::select_result<Selected<X...>>(static_cast<std::tuple<X...>*>(nullptr), futs, winner,
                                               std::index_sequence_for<X...>{});
}

} // namespace coreio
