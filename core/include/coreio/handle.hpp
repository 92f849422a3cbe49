// Handle / TimerHandle: what call_soon, call_later and call_at return.
//
// Thread safety: a Handle may be copied and cancel()ed from any thread.
// Cancellation: a cancelled callback is not run; cancelling one that already
// ran (or is running) has no effect. Cancelled timers are dropped lazily by
// their loop (asyncio's rule), and the heap is compacted when more than half
// of at least 100 timers are cancelled.
#pragma once

#include <chrono>

#include "coreio/detail/handle_state.hpp"

namespace coreio {

class Handle {
public:
  Handle() = default;
  explicit Handle(detail::Ref<detail::HandleState> s) : s_(std::move(s)) {}

  /// Cancel the callback. No effect if it already ran.
  void cancel() noexcept { if (s_) s_->cancel(); }
  [[nodiscard]] bool cancelled() const noexcept { return s_ && s_->cancelled(); }
  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(s_); }

protected:
  detail::Ref<detail::HandleState> s_;
};

class TimerHandle : public Handle {
public:
  using Handle::Handle;
  /// The scheduled time, on the loop's clock (Loop::time()).
  [[nodiscard]] std::chrono::steady_clock::time_point when() const noexcept { return s_->when_; }
};

} // namespace coreio
