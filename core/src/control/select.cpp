// select (select.hpp): wait(FIRST_COMPLETED), then cancel and await the rest.
//
// 1. Wait with wait()'s machinery (wait_states, FIRST_COMPLETED) on the
//    distinct branches. Cancelling the caller cancels only wait()'s private
//    waiter, never a branch.
// 2. The winner is the lowest-index branch done after waking (several may be
//    done: they finished at the same time, or before select() was called).
//    If the caller was cancelled instead, there is no winner.
// 3. Every branch but the winner is cancelled, then awaited with
//    ALL_COMPLETED until all are done. A cancellation of the caller during
//    this wait is caught and the wait resumed: a branch's cleanup always
//    finishes before select() returns.
// 4. A cancellation caught in step 3 after a winner was chosen is requested
//    again (uncancel + cancel, as TaskGroup does), so it is raised at the
//    caller's next suspension point instead of being lost.
// 5. The failures of the losers are marked retrieved: nobody will read them.
#include "coreio/select.hpp"

#include <exception>
#include <string>
#include <vector>

#include "coreio/wait.hpp"

namespace coreio::detail {

namespace {

constexpr std::size_t no_winner = static_cast<std::size_t>(-1);

/// Step 3: waits until every state in `fs` is done, whatever happens to the
/// caller meanwhile. Returns the caller's CancelledError if one was caught.
std::exception_ptr await_all_uncancellable(std::span<FutureStateBase* const> fs) {
  std::exception_ptr caught;
  if (fs.empty()) return caught;
  for (;;) {
    try {
      wait_states(fs, WaitOptions{.return_when = ALL_COMPLETED});
      return caught;
    } catch (const CancelledError&) {
      caught = std::current_exception();
    }
  }
}

} // namespace

std::size_t select_states(std::span<FutureStateBase* const> branches) {
  const std::vector<bool> first = first_occurrences(branches);
  std::vector<FutureStateBase*> distinct;
  for (std::size_t i = 0; i < branches.size(); ++i)
    if (first[i]) distinct.push_back(branches[i]);

  std::exception_ptr cancelled; // step 1
  try {
    wait_states(distinct, WaitOptions{.return_when = FIRST_COMPLETED});
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  }
  std::size_t winner = no_winner; // step 2
  if (!cancelled)
    for (std::size_t i = 0; i < branches.size() && winner == no_winner; ++i)
      if (branches[i]->done()) winner = i;

  std::vector<FutureStateBase*> losers; // step 3
  for (FutureStateBase* b : distinct)
    if (winner == no_winner || b != branches[winner]) losers.push_back(b);
  for (FutureStateBase* b : losers) (void)b->cancel(std::string{});
  const std::exception_ptr late = await_all_uncancellable(losers);
  for (FutureStateBase* b : losers) (void)failure_of(*b); // step 5

  if (cancelled) std::rethrow_exception(cancelled);
  if (late) { // step 4
    if (TaskBase* self = current_task_base()) {
      self->uncancel();
      (void)self->cancel(std::string{});
    }
  }
  return winner;
}

} // namespace coreio::detail
