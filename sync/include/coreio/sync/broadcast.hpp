// broadcast: a multi-producer, multi-consumer channel in which every
// receiver sees every value sent after it subscribed (Tokio's
// sync::broadcast). Beyond asyncio.
//
//     auto [tx, rx] = coreio::broadcast::channel<Event>(16);  // keeps the last 16
//     auto rx2 = tx.subscribe();
//     tx.send(Event{...});                                    // never waits
//     for (;;) {
//       try {
//         std::optional<Event> e = rx.recv();                 // nullopt: every sender gone
//         if (!e) break;
//       } catch (const coreio::Lagged& lag) { /* lag.missed() values lost; carry on */ }
//     }
//
// # Design: a ring of the last `capacity` values
// The handles share one state under a SpinLock, on core's Waiter protocol
// (coreio/detail/waiter.hpp): a ring of `capacity` slots, the position
// `tail` of the next value (the value at position p sits in slot p %
// capacity), the sender and receiver counts, and a WaitList of receivers
// waiting for a value. Each Receiver owns its next position.
//  1. send() overwrites the oldest slot, advances `tail` and fires every
//     waiting receiver (a broadcast: each re-checks its own position). Sends
//     never wait: a slow receiver does not hold senders back, it lags.
//  2. A receive at position p < tail copies the value out of its slot (under
//     the lock) and advances. If p < tail - capacity, the values in between
//     were overwritten: the receiver jumps to the oldest retained value and
//     reports Lagged(missed) once; the next receive continues from there.
//  3. With p == tail the receiver waits, unless every Sender is gone: then
//     recv() returns nullopt (the channel is closed and drained for it).
// Values stay in their slot until overwritten (Tokio drops a value once every
// receiver has seen it); they are destroyed when the channel is.
//
// Cancellation: a cancelled recv() raises CancelledError and loses nothing:
// its position is unchanged, so the next receive returns the same value.
// Wake-ups are broadcasts, so there is nothing to pass on.
//
// Thread safety: distinct objects: safe. Senders may be copied and used on
// any loop or thread; each Receiver is used by one task or thread at a time
// (it may move between them). recv() may be called from a task on any loop
// or a plain OS thread (which then blocks); send(), subscribe(), try_recv()
// and the destructors never wait and may be called from anywhere, loop
// callbacks included.
//
// Resumes on: send() (or the last Sender's destructor) queues each waiting
// task on its loop, never running it on the sender's stack; waiting threads
// are unparked.
//
// Throws: channel(): ValueError for a capacity of 0. recv(): Lagged (the
// receiver moved on; not an error of the channel), CancelledError,
// RuntimeError when it would have to wait inside a loop callback. T's copy
// constructor's exceptions propagate from a receive, which then has not
// advanced. try_recv() reports empty/closed/lagged as a TryRecvError and
// never throws for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"
#include "coreio/detail/wake_batch.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/sync/channel_status.hpp"
#include "coreio/sync/exceptions.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;

/// What a broadcast channel's handles share. Every field is guarded by lock.
template <class T>
struct BroadcastState {
  explicit BroadcastState(std::size_t capacity) : slots(capacity) {}

  /// The oldest position still retained.
  [[nodiscard]] std::uint64_t oldest() const noexcept { return tail > slots.size() ? tail - slots.size() : 0; }

  SpinLock lock;
  std::vector<std::optional<T>> slots; ///< the ring: position p in slots[p % size]
  std::uint64_t tail = 0; ///< position of the next value sent
  std::size_t sender_count = 1;
  std::size_t receiver_count = 1;
  WaitList receivers; ///< receivers waiting for position `tail`
};
} // namespace detail

namespace broadcast {

template <class T>
class Sender;
template <class T>
class Receiver;

/// Why try_recv() returned no value; `missed` counts the lost values of a lag.
struct TryRecvError {
  ChannelStatus status; ///< empty, closed or lagged
  std::uint64_t missed{}; ///< for lagged: as Lagged::missed()
};

/// A channel retaining the last `capacity` values (>= 1; ValueError for 0),
/// with its first Sender and first Receiver.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity);

/// A sending handle. Copy it for another sender; receivers see the channel
/// closed when the last one is destroyed.
template <class T>
class Sender {
  static_assert(std::is_copy_constructible_v<T>, "every receiver gets a copy of each value");

public:
  Sender(const Sender& o) noexcept : state_(o.state_) {
    std::lock_guard g(state_->lock);
    ++state_->sender_count;
  }
  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender o) noexcept {
    std::swap(state_, o.state_);
    return *this;
  }
  ~Sender() { release(); }

  /// Sends a value to every current receiver and returns how many there are.
  /// With no receiver it returns 0 and leaves `value` untouched (Tokio's
  /// Err(value)); otherwise it moves from it. Never waits.
  std::size_t send(T&& value) {
    std::optional<T> old; // destroyed after the guard unlocks
    detail::WakeBatch wake; // declared before the guard: wakes after it unlocks
    std::lock_guard g(state_->lock);
    detail::BroadcastState<T>& s = *state_;
    if (s.receiver_count == 0) return 0;
    std::optional<T>& slot = s.slots[s.tail % s.slots.size()];
    old.swap(slot);
    try {
      slot.emplace(std::move(value));
    } catch (...) {
      slot.swap(old); // the oldest value stays readable; nothing changed
      throw;
    }
    ++s.tail;
    wake.fire_all(s.receivers);
    return s.receiver_count;
  }
  /// send() of a copy.
  std::size_t send(const T& value) {
    T copy(value);
    return send(std::move(copy));
  }

  /// A new receiver that sees every value sent from now on.
  [[nodiscard]] Receiver<T> subscribe() const { return Receiver<T>::subscribe_to(state_); }

  /// Receivers alive now (a snapshot).
  [[nodiscard]] std::size_t receiver_count() const noexcept {
    std::lock_guard g(state_->lock);
    return state_->receiver_count;
  }

private:
  friend std::pair<Sender<T>, Receiver<T>> channel<T>(std::size_t);
  explicit Sender(std::shared_ptr<detail::BroadcastState<T>> s) noexcept : state_(std::move(s)) {}
  void release() noexcept {
    if (!state_) return;
    {
      detail::WakeBatch wake; // declared first: wakes after the guard unlocks
      std::lock_guard g(state_->lock);
      if (--state_->sender_count == 0) wake.fire_all(state_->receivers); // design step 3
    }
    state_.reset();
  }

  std::shared_ptr<detail::BroadcastState<T>> state_;
};

/// A receiving handle with its own position in the stream.
template <class T>
class Receiver {
public:
  Receiver(Receiver&& o) noexcept : state_(std::move(o.state_)), next_(o.next_) {}
  Receiver& operator=(Receiver&& o) noexcept {
    if (this != &o) {
      release();
      state_ = std::move(o.state_);
      next_ = o.next_;
    }
    return *this;
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  ~Receiver() { release(); }

  /// The next value, waiting until one is sent; nullopt once every sender is
  /// gone and this receiver has seen everything. Throws Lagged (see the file
  /// comment: the receiver has moved on), CancelledError (nothing consumed).
  std::optional<T> recv();

  /// The next value if there is one now. Never waits.
  [[nodiscard]] std::expected<T, TryRecvError> try_recv() {
    std::lock_guard g(state_->lock);
    if (std::uint64_t missed = skip_lag_locked()) return std::unexpected(TryRecvError{ChannelStatus::lagged, missed});
    if (next_ < state_->tail) return take_locked();
    return std::unexpected(TryRecvError{state_->sender_count == 0 ? ChannelStatus::closed : ChannelStatus::empty});
  }

  /// A new receiver on the same channel that starts at the next value sent.
  [[nodiscard]] Receiver resubscribe() const { return subscribe_to(state_); }

  /// Values sent and not yet received by this receiver, lost ones included
  /// (a snapshot).
  [[nodiscard]] std::uint64_t size() const noexcept {
    std::lock_guard g(state_->lock);
    return state_->tail - next_;
  }

private:
  friend struct detail::SyncProbe;
  friend class Sender<T>;
  friend std::pair<Sender<T>, Receiver<T>> channel<T>(std::size_t);
  Receiver(std::shared_ptr<detail::BroadcastState<T>> s, std::uint64_t next) noexcept
      : state_(std::move(s)), next_(next) {}

  static Receiver subscribe_to(const std::shared_ptr<detail::BroadcastState<T>>& s) {
    std::lock_guard g(s->lock);
    ++s->receiver_count;
    return Receiver(s, s->tail);
  }
  /// Design step 2: jumps over overwritten values; returns how many.
  std::uint64_t skip_lag_locked() noexcept {
    const std::uint64_t oldest = state_->oldest();
    if (next_ >= oldest) return 0;
    return oldest - std::exchange(next_, oldest);
  }
  T take_locked() {
    T v(*state_->slots[next_ % state_->slots.size()]); // may throw: not advanced
    ++next_;
    return v;
  }
  void release() noexcept {
    if (!state_) return;
    {
      std::lock_guard g(state_->lock);
      --state_->receiver_count;
    }
    state_.reset();
  }

  std::shared_ptr<detail::BroadcastState<T>> state_;
  std::uint64_t next_; ///< this receiver's next position (only its owner touches it)
};

// ================================================================ definitions

template <class T>
std::optional<T> Receiver<T>::recv() {
  detail::BroadcastState<T>& s = *state_;
  for (;;) {
    detail::Waiter w;
    std::uint64_t missed = 0;
    {
      std::lock_guard g(s.lock);
      missed = skip_lag_locked();
      if (missed == 0) {
        if (next_ < s.tail) return take_locked();
        if (s.sender_count == 0) return std::nullopt;
        detail::ensure_can_suspend();
        w.target = &detail::current_wakeable();
        s.receivers.push_back(&w);
      }
    }
    if (missed != 0) throw Lagged(missed); // built outside the lock (it allocates)
    // A broadcast hands nothing to this receiver alone: nothing to pass on.
    if (detail::wait_until_fired(w, s.lock, s.receivers) != detail::WaitResult::fired) detail::throw_cancelled();
  }
}

template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0) throw ValueError("broadcast::channel: capacity must be at least 1");
  auto state = std::make_shared<detail::BroadcastState<T>>(capacity);
  return {Sender<T>(state), Receiver<T>(state, 0)};
}

} // namespace broadcast
} // namespace coreio
