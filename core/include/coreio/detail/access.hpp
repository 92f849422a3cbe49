// Access: the one door from coreio's own code to the state behind a public
// handle (Future, Task, TaskHandle, Loop, Runtime). The public classes keep
// their state private and befriend this struct, so user code sees only the
// asyncio API while the runtime, sync/ and net/ (and tests, through detail)
// reach what they need. Asio's `detail` access and Tokio's `pub(crate)` play
// the same role.
#pragma once

#include <utility>

namespace coreio::detail {

struct Access {
  /// The shared state of a future, task or task handle.
  template <class F>
  [[nodiscard]] static auto& state_ref(const F& f) noexcept {
    return f.s_;
  }
  template <class F>
  [[nodiscard]] static auto& state(const F& f) noexcept {
    return *f.s_;
  }
  /// The implementation behind a Loop or a Runtime facade.
  template <class F>
  [[nodiscard]] static auto& impl(const F& f) noexcept {
    return *f.impl_;
  }
};

} // namespace coreio::detail
