// Future<T>: asyncio.Future and concurrent.futures.Future in one.
//
// Thread safety: distinct objects: safe. Shared objects: every member is safe
// to call from any thread (the state is locked internally).
// Resumes on: a task blocked in get() is woken by posting it to a run queue
// (the completing loop's, or its own loop's if it is pinned); it never runs
// on the completing thread's stack. A plain OS thread blocked in get() is
// unparked.
// Cancellation: cancel() completes a pending future as cancelled and wakes its
// waiters; get()/result() then throw CancelledError. A task blocked in get()
// that is itself cancelled cancels this future (asyncio's semantics: the
// awaited future is cancelled with the awaiting task); use shield() to avoid it.
// Throws: result() throws InvalidStateError if pending, CancelledError if
// cancelled, or the stored exception. set_result/set_exception on a done
// future throw InvalidStateError.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "coreio/detail/access.hpp"
#include "coreio/detail/future_state.hpp"

namespace coreio {

template <class T = void>
class Future {
public:
  using value_type = T;

  /// A new pending future bound to the calling loop (if any).
  Future() : Future(detail::Ref<detail::FutureState<T>>::adopt(new detail::FutureState<T>())) {}

  template <class... A>
    requires(std::is_void_v<T> ? sizeof...(A) == 0 : std::is_constructible_v<T, A...>)
  void set_result(A&&... a) {
    if (!as_future_state()->set_result(std::forward<A>(a)...)) throw InvalidStateError("Future already done");
  }
  void set_exception(std::exception_ptr e) {
    if (!e) throw std::invalid_argument("set_exception(nullptr)");
    if (!s_->set_exception(std::move(e))) throw InvalidStateError("Future already done");
  }
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
  void set_exception(E&& e) { set_exception(std::make_exception_ptr(std::forward<E>(e))); }

  /// Cancel: false if already done.
  bool cancel(std::string msg = {}) { return s_->cancel(std::move(msg)); }
  [[nodiscard]] bool done() const noexcept { return s_->done(); }
  [[nodiscard]] bool cancelled() const noexcept { return s_->status() == detail::Status::cancelled; }

  /// Never waits. Returns the value (a reference into the shared state) or throws.
  decltype(auto) result() const {
    s_->check_done("Result is not set.");
    s_->rethrow_if_failed();
    if constexpr (!std::is_void_v<T>) return static_cast<T&>(*slot_->value_);
  }
  /// Never waits: the exception or nullptr; throws CancelledError / InvalidStateError.
  [[nodiscard]] std::exception_ptr exception() const { return s_->exception(); }

  /// Waits (suspends a task / blocks a thread) until done, then result().
  decltype(auto) get() const {
    s_->wait();
    return result();
  }
  /// Waits until done without retrieving the outcome.
  void wait() const { s_->wait(); }

  /// fn(Future<T>&) is scheduled with call_soon on the calling loop when this
  /// future is done (inline on the completing thread if added from a thread
  /// with no loop). Returns an id for remove_done_callback (C++ callables
  /// cannot be compared, so removal is by id).
  template <class F>
    requires std::is_invocable_v<F&, Future<T>&>
  std::uint64_t add_done_callback(F fn) const {
    detail::ValueSlot<T>* slot = slot_;
    return s_->add_done_callback([fn = std::move(fn), slot](detail::FutureStateBase* st) mutable {
      // The state is never null here; saying so keeps gcc 12 at -O2 from
      // warning (-Wstringop-overflow) about loads on the null path that
      // Ref::share's check would otherwise imply.
      if (st == nullptr) __builtin_unreachable();
      Future<T> f(detail::Ref<detail::FutureStateBase>::share(st), slot);
      fn(f);
    });
  }
  std::size_t remove_done_callback(std::uint64_t id) const { return s_->remove_done_callback(id); }

  // ---- internal (the state itself is reached through detail::Access) ----
  Future(detail::Ref<detail::FutureStateBase> s, detail::ValueSlot<T>* slot) : s_(std::move(s)), slot_(slot) {}
  friend bool operator==(const Future& a, const Future& b) noexcept { return a.s_ == b.s_; }

protected:
  /// From a concrete state S that is both a FutureStateBase and a ValueSlot<T>.
  template <class S>
  explicit Future(detail::Ref<S> s) : slot_(static_cast<detail::ValueSlot<T>*>(s.get())) {
    s_ = std::move(s);
  }

private:
  friend struct detail::Access;
  detail::FutureState<T>* as_future_state() const {
    auto* fs = dynamic_cast<detail::FutureState<T>*>(s_.get());
    if (!fs) throw RuntimeError("set_result()/set_exception() cannot be used on a Task");
    return fs;
  }

  detail::Ref<detail::FutureStateBase> s_;
  detail::ValueSlot<T>* slot_ = nullptr;
};

} // namespace coreio
