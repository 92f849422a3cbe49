// watch: one Sender publishes a value, many Receivers see the latest one and
// can wait for it to change (Tokio's sync::watch). Beyond asyncio.
//
//     auto [tx, rx] = coreio::watch::channel<Config>(initial);
//     watcher:  while (true) { rx.changed(); apply(*rx.borrow_and_update()); }  // ChannelClosed ends it
//     owner:    tx.send(new_config);
//
// # Design: a versioned, shared immutable value
// The handles share one state under a SpinLock, on core's Waiter protocol
// (coreio/detail/waiter.hpp): the value as a std::shared_ptr<const T>, a
// version counter, the sender's liveness, the receiver count, and a WaitList
// of receivers waiting in changed(). Each Receiver remembers the version it
// last saw.
//  1. send() installs a new value, bumps the version and fires every waiter
//     (a broadcast: each re-checks its own version).
//  2. changed() returns at once if the version differs from the one the
//     receiver saw (and marks it seen); else it raises ChannelClosed if the
//     Sender is gone, and otherwise waits. An unseen value wins over closure
//     (Tokio's order).
//  3. borrow() hands out the shared_ptr, not a lock: a reader may keep it
//     across suspensions without holding anything up, and a later send()
//     does not change what it points to. Each send allocates the new value.
//
// Cancellation: a cancelled changed() raises CancelledError and marks
// nothing seen, so the next changed() still reports a change that happened
// meanwhile. Wake-ups are broadcasts, so there is nothing to pass on.
//
// Thread safety: distinct objects: safe. Each handle is used by one task or
// thread at a time (a Receiver may be copied for another); the values are
// immutable once sent, so borrowed pointers may be read anywhere. changed()
// and wait_for() may be called from a task on any loop or a plain OS thread
// (which then blocks); everything else never waits and may be called from
// anywhere, loop callbacks included.
//
// Resumes on: send() (or the Sender's destructor) queues each waiting task
// on its loop, never running it on the sender's stack; waiting threads are
// unparked.
//
// Throws: changed()/wait_for(): ChannelClosed (the Sender is gone and
// nothing unseen is left), CancelledError, RuntimeError when they would have
// to wait inside a loop callback. T's constructors' exceptions (and
// bad_alloc) propagate from send*() with nothing changed.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"
#include "coreio/detail/wake_batch.hpp"
#include "coreio/sync/exceptions.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;

/// What a watch channel's handles share. Every field is guarded by lock.
template <class T>
struct WatchState {
  explicit WatchState(std::shared_ptr<const T> v) noexcept : value(std::move(v)) {}

  /// Design step 1: install `next`, hand the previous value back to be
  /// dropped outside the lock.
  std::shared_ptr<const T> publish(std::shared_ptr<const T> next, WakeBatch& wake) noexcept {
    std::swap(value, next);
    ++version;
    wake.fire_all(receivers);
    return next;
  }

  SpinLock lock;
  std::shared_ptr<const T> value;
  std::uint64_t version = 0;
  bool sender_alive = true;
  std::size_t receiver_count = 1;
  WaitList receivers; ///< receivers waiting in changed()
};
} // namespace detail

namespace watch {

template <class T>
class Sender;
template <class T>
class Receiver;

/// A channel holding `initial`, which its first Receiver counts as seen.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(T initial);

/// The one publishing handle. Its destruction closes the channel.
template <class T>
class Sender {
public:
  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender&& o) noexcept {
    if (this != &o) {
      release();
      state_ = std::move(o.state_);
    }
    return *this;
  }
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;
  ~Sender() { release(); }

  /// Publishes a value and wakes every waiting receiver. Returns false, and
  /// stores nothing, if no receiver is left (Tokio's send).
  bool send(T value) {
    auto next = std::make_shared<const T>(std::move(value)); // may throw: nothing changed
    std::shared_ptr<const T> old; // dropped after the guard unlocks
    detail::WakeBatch wake; // declared before the guard: wakes after it unlocks
    std::lock_guard g(state_->lock);
    if (state_->receiver_count == 0) return false;
    old = state_->publish(std::move(next), wake);
    return true;
  }

  /// Publishes a value whether or not anyone listens; returns the previous one.
  std::shared_ptr<const T> send_replace(T value) {
    auto next = std::make_shared<const T>(std::move(value)); // may throw: nothing changed
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(state_->lock);
    return state_->publish(std::move(next), wake);
  }

  /// Publishes a modified copy of the current value: fn(T&) edits the copy.
  /// fn runs outside the lock; concurrent send_modify calls are not
  /// serialised (the Sender is used by one task at a time).
  template <class F>
  requires std::invocable<F&, T&>
  void send_modify(F fn) {
    auto next = std::make_shared<T>(*borrow()); // may throw: nothing changed
    fn(*next);
    (void)send_replace_ptr(std::move(next));
  }

  /// The current value.
  [[nodiscard]] std::shared_ptr<const T> borrow() const noexcept {
    std::lock_guard g(state_->lock);
    return state_->value;
  }

  /// A new receiver that counts the current value as seen.
  [[nodiscard]] Receiver<T> subscribe() const { return Receiver<T>::subscribe_to(state_); }

  /// Receivers alive now (a snapshot).
  [[nodiscard]] std::size_t receiver_count() const noexcept {
    std::lock_guard g(state_->lock);
    return state_->receiver_count;
  }
  /// True if no receiver is left (send() would fail).
  [[nodiscard]] bool is_closed() const noexcept { return receiver_count() == 0; }

private:
  friend std::pair<Sender<T>, Receiver<T>> channel<T>(T);
  explicit Sender(std::shared_ptr<detail::WatchState<T>> s) noexcept : state_(std::move(s)) {}
  std::shared_ptr<const T> send_replace_ptr(std::shared_ptr<const T> next) noexcept {
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(state_->lock);
    return state_->publish(std::move(next), wake);
  }
  void release() noexcept {
    if (!state_) return;
    {
      detail::WakeBatch wake; // declared first: wakes after the guard unlocks
      std::lock_guard g(state_->lock);
      state_->sender_alive = false;
      wake.fire_all(state_->receivers); // design step 2: they see the closure
    }
    state_.reset();
  }

  std::shared_ptr<detail::WatchState<T>> state_;
};

/// A watching handle with its own "last seen" version. Copyable: a copy
/// starts with the same seen version.
template <class T>
class Receiver {
public:
  Receiver(const Receiver& o) : state_(o.state_), seen_(o.seen_) {
    std::lock_guard g(state_->lock);
    ++state_->receiver_count;
  }
  Receiver(Receiver&& o) noexcept : state_(std::move(o.state_)), seen_(o.seen_) {}
  Receiver& operator=(Receiver o) noexcept {
    std::swap(state_, o.state_);
    std::swap(seen_, o.seen_);
    return *this;
  }
  ~Receiver() { release(); }

  /// Waits until a value newer than the last one seen is sent, and marks it
  /// seen. Throws ChannelClosed if the Sender is gone and nothing unseen is
  /// left, CancelledError (nothing marked seen).
  void changed();

  /// Waits until pred(value) holds for the current value (checked first,
  /// before any wait) and returns that value, marked seen. Throws as changed().
  template <class Pred>
  requires std::predicate<Pred&, const T&> std::shared_ptr<const T> wait_for(Pred pred) {
    for (;;) {
      std::shared_ptr<const T> v = borrow_and_update();
      if (pred(*v)) return v;
      changed();
    }
  }

  /// The current value; does not mark it seen.
  [[nodiscard]] std::shared_ptr<const T> borrow() const noexcept {
    std::lock_guard g(state_->lock);
    return state_->value;
  }
  /// The current value, marked seen.
  [[nodiscard]] std::shared_ptr<const T> borrow_and_update() noexcept {
    std::lock_guard g(state_->lock);
    seen_ = state_->version;
    return state_->value;
  }
  /// True if a value was sent since the last one this receiver saw.
  [[nodiscard]] bool has_changed() const noexcept {
    std::lock_guard g(state_->lock);
    return seen_ != state_->version;
  }
  /// True once the Sender is gone.
  [[nodiscard]] bool is_closed() const noexcept {
    std::lock_guard g(state_->lock);
    return !state_->sender_alive;
  }

private:
  friend struct detail::SyncProbe;
  friend class Sender<T>;
  friend std::pair<Sender<T>, Receiver<T>> channel<T>(T);
  Receiver(std::shared_ptr<detail::WatchState<T>> s, std::uint64_t seen) noexcept : state_(std::move(s)), seen_(seen) {}
  static Receiver subscribe_to(const std::shared_ptr<detail::WatchState<T>>& s) {
    std::lock_guard g(s->lock);
    ++s->receiver_count;
    return Receiver(s, s->version);
  }
  void release() noexcept {
    if (!state_) return;
    {
      std::lock_guard g(state_->lock);
      --state_->receiver_count;
    }
    state_.reset();
  }

  std::shared_ptr<detail::WatchState<T>> state_;
  std::uint64_t seen_; ///< the version this receiver saw last (only its owner touches it)
};

// ================================================================ definitions

template <class T>
void Receiver<T>::changed() {
  detail::WatchState<T>& s = *state_;
  for (;;) {
    detail::Waiter w;
    {
      std::lock_guard g(s.lock);
      if (seen_ != s.version) { // design step 2
        seen_ = s.version;
        return;
      }
      if (!s.sender_alive) throw ChannelClosed("watch sender dropped");
      detail::ensure_can_suspend();
      w.target = &detail::current_wakeable();
      s.receivers.push_back(&w);
    }
    // A broadcast hands nothing to this receiver alone: nothing to pass on.
    if (detail::wait_until_fired(w, s.lock, s.receivers) != detail::WaitResult::fired) detail::throw_cancelled();
  }
}

template <class T>
std::pair<Sender<T>, Receiver<T>> channel(T initial) {
  auto state = std::make_shared<detail::WatchState<T>>(std::make_shared<const T>(std::move(initial)));
  return {Sender<T>(state), Receiver<T>(state, 0)};
}

} // namespace watch
} // namespace coreio
