// mpsc: a multi-producer, single-consumer channel, bounded or unbounded
// (Tokio's sync::mpsc). Beyond asyncio (asyncio's Queue is in queue.hpp).
//
//     auto [tx, rx] = coreio::mpsc::channel<Job>(64);   // or unbounded_channel<Job>()
//     producer (any loop, cloned tx):  if (!tx.send(std::move(job))) ...; // false: receiver gone
//     consumer:  while (std::optional<Job> job = rx.recv()) run(*job);  // nullopt: all senders gone
//
// # Design: a buffer plus direct hand-off from waiting senders
// The handles share one state under a SpinLock, on core's Waiter protocol
// (coreio/detail/waiter.hpp): the buffer (a std::deque), a FIFO WaitList of
// senders waiting for room, the receiver's WaitList (one waiter at most),
// the sender count and the closed flag. Rules:
//  1. A send takes the fast path (append, wake the receiver) only when the
//     buffer has room AND no sender waits, so senders are served in FIFO
//     order. Otherwise it links a Waiter whose slot points at the caller's
//     item, and suspends.
//  2. A receive that takes an item from a full buffer first moves the first
//     waiting sender's item from that sender's slot into the buffer and fires
//     the sender with `sent`: that send is complete at this instant, under the
//     lock. So "a sender waits" implies "the buffer is full".
//  3. A woken receiver re-checks the buffer: nothing is handed to it alone,
//     and an item stays in the buffer until a receive takes it.
//  4. close() (or dropping the Receiver) sets `closed` and fires every
//     waiting sender with `closed`; later sends fail. The receiver drains
//     what is buffered. The last Sender's destructor fires the receiver: it
//     drains the buffer, then recv() returns nullopt.
//
// # Cancellation: nothing lost, nothing doubled
//  - A sender cancelled before it was fired unlinks itself: its item was not
//    touched (the caller still holds it) and can be sent again.
//  - A sender fired with `sent` and cancelled before it ran returns true: its
//    item is in the channel (rule 2) and must not be sent twice. The pending
//    cancellation is delivered at its next suspension point.
//  - A cancelled receive loses nothing: items stay in the buffer (rule 3).
//
// Thread safety: distinct objects: safe. Senders may be cloned freely and
// used on any loop or thread; a Sender object may be shared by tasks that
// send through it (its copying and destruction may not race its use). The
// Receiver is used by one task or thread at a time (Tokio's `&mut self`); it
// may move between them. send() and recv() may be called from a task on any
// loop or a plain OS thread (which then blocks); try_send(), try_recv(),
// close() and the destructors never wait and may be called from anywhere,
// loop callbacks included (so may send() on an unbounded channel).
//
// Resumes on: the call that fires a waiter (a receive that makes room, a
// send, close(), the last Sender's destructor) queues the waiting task on its
// loop, never running it on the caller's stack; a waiting thread is unparked.
//
// Throws: channel(): ValueError for a capacity of 0. send(): CancelledError
// (item not sent, still the caller's); RuntimeError when it would have to wait
// inside a loop callback. recv(): CancelledError (nothing taken); RuntimeError
// likewise. The try_* forms report full/empty/closed as a ChannelStatus and
// never throw for them. An exception from T's move constructor (or
// bad_alloc) propagates and leaves the channel consistent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
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

namespace coreio {

namespace detail {
struct SyncProbe;

/// How a waiting mpsc sender was fired (written under the lock before fire()).
enum class MpscSend : std::uint8_t { none, sent, closed };

/// A waiting sender's payload (Waiter::data): its caller's item.
template <class T>
struct MpscSendSlot {
  T* item;
  MpscSend outcome = MpscSend::none;
};

/// What an mpsc channel's handles share. Every field is guarded by lock.
template <class T>
struct MpscState {
  explicit MpscState(std::size_t cap) noexcept : capacity(cap) {}

  [[nodiscard]] bool has_room() const noexcept { return capacity == 0 || buffer.size() < capacity; }
  static MpscSendSlot<T>& slot(Waiter* w) noexcept { return *reinterpret_cast<MpscSendSlot<T>*>(w->data); }

  /// Rule 2: the first waiting sender's item joins the buffer; its send is done.
  void admit_sender(WakeBatch& wake) {
    Waiter* w = senders.front();
    if (w == nullptr) return;
    MpscSendSlot<T>& s = slot(w);
    buffer.push_back(std::move(*s.item)); // may throw: nothing changed yet
    s.outcome = MpscSend::sent;
    wake.fire(senders, w);
  }
  /// Takes the oldest item (the buffer is not empty), admitting a sender.
  T take(WakeBatch& wake) {
    admit_sender(wake);
    T item(std::move(buffer.front())); // may throw: the buffer keeps the item
    buffer.pop_front();
    return item;
  }
  /// Rule 4: refuse further sends and release every waiting sender.
  void close(WakeBatch& wake) noexcept {
    closed = true;
    while (Waiter* w = senders.front()) {
      slot(w).outcome = MpscSend::closed;
      wake.fire(senders, w);
    }
  }

  SpinLock lock;
  std::deque<T> buffer;
  WaitList senders; ///< waiting for room, FIFO; data: MpscSendSlot<T>*
  WaitList receivers; ///< the receiver, while it waits in recv()
  const std::size_t capacity; ///< 0: unbounded
  std::size_t sender_count = 1;
  bool closed = false; ///< the Receiver closed the channel or is gone
};
} // namespace detail

namespace mpsc {

template <class T>
class Sender;
template <class T>
class Receiver;

/// A bounded channel holding at most `capacity` items (>= 1; ValueError for 0).
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity);
/// A channel whose send() never waits.
template <class T>
std::pair<Sender<T>, Receiver<T>> unbounded_channel();

/// A sending handle. Copy it to get another sender; the channel closes for
/// the receiver when the last one is destroyed.
template <class T>
class Sender {
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

  /// Sends an item, waiting (FIFO among senders) while a bounded channel is
  /// full. Returns false if the receiver is gone or closed; moves from `item`
  /// only when it returns true (Tokio's Err(item)). A cancelled send raises
  /// CancelledError with `item` untouched, or returns true if the item was
  /// already taken in (see the file comment).
  bool send(T&& item);
  /// send() of a copy.
  bool send(const T& item) requires std::is_copy_constructible_v<T> {
    T copy(item);
    return send(std::move(copy));
  }

  /// Sends only if there is room now: ok, ChannelStatus::full or ::closed.
  /// Moves from `item` only when it returns ok. Never waits.
  [[nodiscard]] ChannelStatus try_send(T&& item) {
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(state_->lock);
    if (state_->closed) return ChannelStatus::closed;
    if (!state_->senders.empty() || !state_->has_room()) return ChannelStatus::full;
    state_->buffer.push_back(std::move(item)); // may throw: nothing changed yet
    wake.fire_all(state_->receivers);
    return ChannelStatus::ok;
  }

  /// True if the receiver is closed or gone: every send fails.
  [[nodiscard]] bool is_closed() const noexcept {
    std::lock_guard g(state_->lock);
    return state_->closed;
  }

private:
  friend std::pair<Sender<T>, Receiver<T>> channel<T>(std::size_t);
  friend std::pair<Sender<T>, Receiver<T>> unbounded_channel<T>();
  explicit Sender(std::shared_ptr<detail::MpscState<T>> s) noexcept : state_(std::move(s)) {}
  void release() noexcept {
    if (!state_) return;
    {
      detail::WakeBatch wake; // declared first: wakes after the guard unlocks
      std::lock_guard g(state_->lock);
      if (--state_->sender_count == 0) wake.fire_all(state_->receivers); // rule 4
    }
    state_.reset();
  }

  std::shared_ptr<detail::MpscState<T>> state_;
};

/// The one receiving handle.
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
  /// Closes the channel and drops the buffered items.
  ~Receiver() { release(); }

  /// The oldest item, waiting while the buffer is empty; nullopt once every
  /// sender is gone (or the channel is closed) and the buffer is drained.
  /// Throws CancelledError (nothing taken).
  std::optional<T> recv();

  /// The oldest item now: ChannelStatus::empty if none yet, ::closed if
  /// none will come. Never waits.
  [[nodiscard]] std::expected<T, ChannelStatus> try_recv() {
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(state_->lock);
    if (!state_->buffer.empty()) return state_->take(wake);
    return std::unexpected(ended_locked() ? ChannelStatus::closed : ChannelStatus::empty);
  }

  /// Refuses further sends (waiting senders get false); buffered items can
  /// still be received. Idempotent.
  void close() noexcept {
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(state_->lock);
    state_->close(wake);
  }

  /// Items buffered now (a snapshot).
  [[nodiscard]] std::size_t size() const noexcept {
    std::lock_guard g(state_->lock);
    return state_->buffer.size();
  }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

private:
  friend struct detail::SyncProbe;
  friend std::pair<Sender<T>, Receiver<T>> channel<T>(std::size_t);
  friend std::pair<Sender<T>, Receiver<T>> unbounded_channel<T>();
  explicit Receiver(std::shared_ptr<detail::MpscState<T>> s) noexcept : state_(std::move(s)) {}

  [[nodiscard]] bool ended_locked() const noexcept { return state_->closed || state_->sender_count == 0; }
  void release() noexcept {
    if (!state_) return;
    std::deque<T> dropped; // destroyed last, after the wake-ups, outside the lock
    {
      detail::WakeBatch wake; // declared first: wakes after the guard unlocks
      std::lock_guard g(state_->lock);
      state_->close(wake);
      dropped.swap(state_->buffer);
    }
    state_.reset();
  }

  std::shared_ptr<detail::MpscState<T>> state_;
};

// ================================================================ definitions

template <class T>
bool Sender<T>::send(T&& item) {
  detail::Waiter w;
  detail::MpscSendSlot<T> slot{&item};
  detail::MpscState<T>& s = *state_;
  {
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(s.lock);
    if (s.closed) return false;
    if (s.senders.empty() && s.has_room()) { // rule 1
      s.buffer.push_back(std::move(item)); // may throw: nothing changed yet
      wake.fire_all(s.receivers);
      return true;
    }
    detail::ensure_can_suspend();
    w.target = &detail::current_wakeable();
    w.data = reinterpret_cast<std::uintptr_t>(&slot);
    s.senders.push_back(&w);
  }
  const detail::WaitResult r = detail::wait_until_fired(w, s.lock, s.senders);
  if (r == detail::WaitResult::cancelled) detail::throw_cancelled(); // unlinked: item untouched
  // Fired: `slot` was written under the lock before fire(), whose Release
  // store wait_until_fired() read with Acquire.
  if (slot.outcome == detail::MpscSend::sent) return true; // delivered: never raise (no retry, no duplicate)
  if (r == detail::WaitResult::fired_and_cancelled) detail::throw_cancelled();
  return false; // closed while we waited; item untouched
}

template <class T>
std::optional<T> Receiver<T>::recv() {
  detail::MpscState<T>& s = *state_;
  for (;;) {
    detail::Waiter w;
    {
      detail::WakeBatch wake; // declared first: wakes after the guard unlocks
      std::lock_guard g(s.lock);
      if (!s.buffer.empty()) return s.take(wake);
      if (ended_locked()) return std::nullopt;
      detail::ensure_can_suspend();
      w.target = &detail::current_wakeable();
      s.receivers.push_back(&w);
    }
    // Rule 3: a wake-up hands nothing over, so a cancelled receive has
    // nothing to pass on; anything sent meanwhile stays buffered.
    if (detail::wait_until_fired(w, s.lock, s.receivers) != detail::WaitResult::fired) detail::throw_cancelled();
  }
}

template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0) throw ValueError("mpsc::channel: capacity must be at least 1");
  auto state = std::make_shared<detail::MpscState<T>>(capacity);
  return {Sender<T>(state), Receiver<T>(state)};
}

template <class T>
std::pair<Sender<T>, Receiver<T>> unbounded_channel() {
  auto state = std::make_shared<detail::MpscState<T>>(0);
  return {Sender<T>(state), Receiver<T>(state)};
}

} // namespace mpsc
} // namespace coreio
