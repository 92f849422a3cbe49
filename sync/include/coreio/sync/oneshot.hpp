// oneshot: a channel for exactly one value, from one Sender to one Receiver
// (Tokio's sync::oneshot). Beyond asyncio.
//
//     auto [tx, rx] = coreio::oneshot::channel<std::string>();
//     auto worker = coreio::create_task([tx = std::move(tx)]() mutable { tx.send("done"); });
//     std::string result = rx.recv();      // waits; ChannelClosed if tx died unsent
//
// Design: the two handles share one state (value, liveness flags and the
// receiver's Waiter list) under a SpinLock, on core's Waiter protocol
// (coreio/detail/waiter.hpp). send() stores the value and fires the waiting
// receiver; the Sender's destructor fires it too, so a receiver whose sender
// died unsent wakes and raises ChannelClosed. The value stays in the shared
// state until recv() takes it: a woken receiver re-checks the state, and
// nothing is ever handed to it alone.
//
// Thread safety: distinct objects: safe. The two handles may live on
// different loops or threads. Each handle is used by one task or thread at a
// time (like Tokio's `&mut self`). recv() may be called from a task on any
// loop or a plain OS thread (which then blocks); send(), try_recv(), close()
// and the destructors never wait and may be called from anywhere, loop
// callbacks included. A moved-from handle may only be assigned or destroyed.
//
// Resumes on: send() (or the Sender's destructor) queues the waiting task on
// its loop, never running it on the sender's stack; a waiting thread is unparked.
//
// Cancellation: a cancelled recv() raises CancelledError and loses nothing:
// a value sent meanwhile stays in the channel for the next recv()/try_recv().
//
// Throws: recv(): ChannelClosed (the sender is gone without sending, or the
// value was already received); CancelledError; RuntimeError when it would
// have to wait inside a loop callback. send(): InvalidStateError on a second
// send. try_recv() reports empty/closed as a ChannelStatus and never throws.
#pragma once

#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"
#include "coreio/detail/wake_batch.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/sync/channel_status.hpp"
#include "coreio/sync/exceptions.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;

/// What a oneshot's Sender and Receiver share. Every field is guarded by lock.
template <class T>
struct OneshotState {
  SpinLock lock;
  std::optional<T> value;
  WaitList receivers; ///< the receiver, while it waits in recv()
  bool sent = false; ///< send() succeeded (the value may be taken since)
  bool taken = false; ///< recv()/try_recv() took the value
  bool sender_alive = true; ///< the Sender is not destroyed
  bool receiver_alive = true; ///< the Receiver is neither closed nor destroyed
};
} // namespace detail

namespace oneshot {

template <class T>
class Sender;
template <class T>
class Receiver;

/// A new channel: its only Sender and only Receiver.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel();

/// The sending half: send() at most once.
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
  /// Without a send, the receiver then sees ChannelClosed.
  ~Sender() { release(); }

  /// Sends the value. Returns false, leaving `value` untouched, if the
  /// receiver is gone or closed (Tokio's Err(value)); moves from it only when
  /// it returns true. Never waits. Throws InvalidStateError on a second send.
  bool send(T&& value) {
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(state_->lock);
    if (state_->sent) throw InvalidStateError("oneshot::Sender::send: a value was already sent");
    if (!state_->receiver_alive) return false;
    state_->value.emplace(std::move(value)); // may throw: nothing changed yet
    state_->sent = true;
    wake.fire_all(state_->receivers);
    return true;
  }
  /// send() of a copy.
  bool send(const T& value) requires std::is_copy_constructible_v<T> {
    T copy(value);
    return send(std::move(copy));
  }

  /// True if the receiver is closed or destroyed: a send would fail.
  [[nodiscard]] bool is_closed() const noexcept {
    std::lock_guard g(state_->lock);
    return !state_->receiver_alive;
  }

private:
  friend std::pair<Sender<T>, Receiver<T>> channel<T>();
  explicit Sender(std::shared_ptr<detail::OneshotState<T>> s) noexcept : state_(std::move(s)) {}
  void release() noexcept {
    if (!state_) return;
    {
      detail::WakeBatch wake; // declared first: wakes after the guard unlocks
      std::lock_guard g(state_->lock);
      state_->sender_alive = false;
      wake.fire_all(state_->receivers); // an unsent channel is closed now
    }
    state_.reset();
  }

  std::shared_ptr<detail::OneshotState<T>> state_;
};

/// The receiving half: recv() the one value.
template <class T>
class Receiver {
public:
  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&& o) noexcept {
    if (this != &o) {
      release();
      state_ = std::move(o.state_);
    }
    return *this;
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  /// Closes the channel and drops a value sent but not received.
  ~Receiver() { release(); }

  /// Waits for the value and takes it. Throws ChannelClosed if the sender
  /// is gone without sending (or the value was already taken), CancelledError
  /// (the value, if sent meanwhile, stays for the next receive).
  T recv() {
    for (;;) {
      detail::Waiter w;
      {
        std::lock_guard g(state_->lock);
        if (std::optional<T> v = take_locked()) return std::move(*v);
        if (closed_locked()) throw ChannelClosed("oneshot sender dropped without sending");
        detail::ensure_can_suspend();
        w.target = &detail::current_wakeable();
        state_->receivers.push_back(&w);
      }
      // A wake-up hands nothing over: the value stays in the state, so a
      // cancelled receiver has nothing to pass on.
      if (detail::wait_until_fired(w, state_->lock, state_->receivers) != detail::WaitResult::fired)
        detail::throw_cancelled();
    }
  }

  /// The value if it was sent: ChannelStatus::empty if not yet, ::closed if
  /// the sender is gone without sending (or the value was already taken).
  [[nodiscard]] std::expected<T, ChannelStatus> try_recv() {
    std::lock_guard g(state_->lock);
    if (std::optional<T> v = take_locked()) return std::move(*v);
    return std::unexpected(closed_locked() ? ChannelStatus::closed : ChannelStatus::empty);
  }

  /// Refuses a later send() (it returns false). A value already sent can
  /// still be received.
  void close() noexcept {
    std::lock_guard g(state_->lock);
    state_->receiver_alive = false;
  }

private:
  friend struct detail::SyncProbe;
  friend std::pair<Sender<T>, Receiver<T>> channel<T>();
  explicit Receiver(std::shared_ptr<detail::OneshotState<T>> s) noexcept : state_(std::move(s)) {}

  std::optional<T> take_locked() {
    if (!state_->value) return std::nullopt;
    std::optional<T> v(std::move(*state_->value)); // may throw: nothing changed yet
    state_->value.reset();
    state_->taken = true;
    return v;
  }
  [[nodiscard]] bool closed_locked() const noexcept { return state_->taken || !state_->sender_alive; }
  void release() noexcept {
    if (!state_) return;
    std::optional<T> dropped; // destroyed after the guard unlocks
    {
      std::lock_guard g(state_->lock);
      state_->receiver_alive = false;
      dropped.swap(state_->value);
    }
    state_.reset();
  }

  std::shared_ptr<detail::OneshotState<T>> state_;
};

template <class T>
std::pair<Sender<T>, Receiver<T>> channel() {
  auto state = std::make_shared<detail::OneshotState<T>>();
  return {Sender<T>(state), Receiver<T>(state)};
}

} // namespace oneshot
} // namespace coreio
