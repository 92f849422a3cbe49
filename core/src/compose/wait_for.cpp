// wait_for (wait_for.hpp): the non-template helpers.
#include "coreio/wait_for.hpp"

#include <cstdint>

namespace coreio::detail {

void cancel_and_wait(FutureStateBase& f) {
  // asyncio's _cancel_and_wait: a private waiter, released by f's done
  // callback. Waiting on f itself would make a cancel of the caller cancel f
  // again; this way a cancelled caller just stops waiting.
  auto waiter = Ref<FutureState<void>>::adopt(new FutureState<void>());
  const std::uint64_t id = f.add_done_callback([waiter](FutureStateBase*) { (void)waiter->set_result(); });
  struct RemoveCallback {
    FutureStateBase& f;
    std::uint64_t id;
    ~RemoveCallback() { f.remove_done_callback(id); }
  } remove{f, id};
  f.cancel(std::string{});
  waiter->wait();
  waiter->rethrow_if_failed(); // cancelled: our caller was cancelled
}

void throw_timeout_never_started() {
  try {
    throw CancelledError();
  } catch (const CancelledError&) {
    // asyncio: the coroutine's task is cancelled before it starts, and
    // wait_for raises TimeoutError from that CancelledError.
    std::throw_with_nested(TimeoutError());
  }
}

} // namespace coreio::detail
