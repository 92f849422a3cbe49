// shield: asyncio.shield, protect an awaited task from the awaiter's cancellation.
//
//   auto v = coreio::shield(task).get();       // await shield(task)
//   coreio::wait_for(coreio::shield(task), 1s); // time out without cancelling task
//
// Returns the inner future itself if it is already done; otherwise a new outer
// Future<T> that completes with the inner one's outcome. A task blocked on the
// outer future that is cancelled cancels only the outer future (that is what
// cancelling an awaiting task does), so the inner task keeps running; the
// awaiter gets CancelledError, and the inner result, when it comes, is
// dropped (an inner exception is marked retrieved, as asyncio does). A
// callable becomes a new task that nothing else references: the runtime keeps
// it running until it is done.
//
// Thread safety: the inner task may complete on any loop; the outer future
// is an ordinary thread-safe Future.
// Resumes on: the outer future is completed by a done callback of the inner
// one, on the loop that called shield().
// Cancellation: cancelling the outer future never cancels the inner one;
// the inner one being cancelled cancels the outer one.
// Throws: nothing itself; the outer future's get() throws what the inner
// future ended with, or CancelledError.
//
// The inner value is copied into the outer future when the caller still holds
// the inner future (an lvalue), moved when it handed it over (an rvalue or a
// callable).
#pragma once

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "coreio/detail/awaitable.hpp"

namespace coreio {

/// asyncio.shield(aw): an outer future that cancellation of its awaiter
/// cannot propagate through.
template <detail::Awaitable A>
auto shield(A&& aw) -> Future<detail::awaited_t<A>> {
  using T = detail::awaited_t<A>;
  constexpr bool move = detail::owns_result_v<A>;
  static_assert(move || std::is_void_v<T> || std::is_copy_constructible_v<T>,
                "shield: a move-only result can only be moved out of a future passed as an rvalue");
  auto inner = detail::to_future(std::forward<A>(aw));
  if (inner.done()) return inner;
  auto outer = detail::Ref<detail::FutureState<T>>::adopt(new detail::FutureState<T>());
  inner.add_done_callback([outer](Future<T>& in) {
    if (outer->done()) {
      // The outer future was cancelled: nobody will read the inner outcome.
      if (!in.cancelled()) (void)in.exception();
      return;
    }
    if (in.cancelled()) {
      outer->cancel(std::string{});
      return;
    }
    if (std::exception_ptr e = in.exception()) {
      (void)outer->set_exception(std::move(e));
      return;
    }
    if constexpr (std::is_void_v<T>) (void)outer->set_result();
    else if constexpr (move) (void)outer->set_result(std::move(in.result()));
    else (void)outer->set_result(in.result());
  });
  detail::FutureState<T>* slot = outer.get();
  return Future<T>(std::move(outer), slot);
}

} // namespace coreio
