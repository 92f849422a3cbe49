// Queue<T>, PriorityQueue<T, Compare>, LifoQueue<T>: asyncio's queues
// (3.13, with shutdown), for tasks on any loop and plain OS threads.
//
//     coreio::Queue<std::string> q(8);           // maxsize 8; <= 0: unbounded
//     producer: q.put("job");                     // suspends while full
//     consumer: std::string job = q.get();        // suspends while empty
//               ...; q.task_done();
//     owner:    q.join();                         // until every item is done
//
// # Design: hand-off with reservations
// One SpinLock guards the items (a std::deque, arranged by the subclass's
// push/pop hooks, as asyncio's _put/_get), three FIFO WaitLists (getters,
// putters, joiners) and the counters. Waiters are served in FIFO order and
// are handed what they wait for, instead of being woken to re-check (asyncio's
// "while self.empty(): await getter" loop, which lets a newcomer take the item
// a woken getter was woken for):
//  1. put() with a getter waiting moves the item into that getter's slot and
//     fires it. Until the getter runs, the item is *reserved*: it still counts
//     in qsize() and against maxsize (in asyncio it is still in the queue
//     until the woken getter runs), but no one else can take it.
//  2. get() that frees room with a putter waiting reserves the free slot for
//     the first putter and fires it; the putter inserts its own item when it
//     runs. A reserved slot counts against maxsize (full() stays true) but not
//     in qsize(): the item is not in the queue yet.
//  3. A getter that runs takes its reserved item and releases the
//     reservation, which may admit a putter (2). A putter that runs inserts
//     its item (possibly straight into a waiting getter's slot, 1).
// So `qsize() = queued + reserved-for-getters <= maxsize` at all times, and
// get_nowait() takes only queued items (QueueEmpty while the only items are
// reserved for woken getters: they were promised first).
//
// # Cancellation: nothing is lost, nothing is doubled
//  - A waiter cancelled before it was fired unlinks itself: it was given
//    nothing and put nothing (a cancelled put() never enqueues its item).
//  - A getter fired and then cancelled before it ran hands its item to the
//    next waiting getter, or back to the head of the queue (FIFO: it was the
//    oldest; LIFO: it is older than anything put since; priority: re-pushed),
//    then raises CancelledError (test_get_cancel_drop_one_pending_reader).
//  - A putter granted a slot and then cancelled passes the slot to the next
//    putter and raises CancelledError; its item was not enqueued
//    (test_put_cancel_drop).
//
// # Shutdown (Python 3.13)
// shutdown() makes put raise QueueShutDown and wakes every waiting putter and
// getter, which raise QueueShutDown (waiting getters mean the queue is empty).
// get() keeps returning queued and reserved items until none are left.
// shutdown(true) also drops every item, queued or reserved, counting each as
// done for join() (unfinished -= 1 per item, as asyncio), so get() raises at
// once. task_done() keeps working for items already taken.
//
// Thread safety: distinct objects: safe. Shared objects: every member is safe
// from any thread; waiters may be tasks on any loop or plain OS threads.
// qsize()/empty()/full() are snapshots (as asyncio documents for threads).
//
// Resumes on: the call that fires a waiter (put, get, task_done, shutdown)
// queues the waiting task on its loop, never running it on the caller's
// stack; a waiting plain thread is unparked.
//
// Throws: put_nowait: QueueFull, QueueShutDown. get_nowait: QueueEmpty,
// QueueShutDown. put/get: QueueShutDown, CancelledError, RuntimeError when
// they would have to wait inside a loop callback. task_done: ValueError when
// called more times than items were put. The try_* forms report the same
// outcomes as a QueueStatus and never throw for them (STYLE.md 13). An
// exception from T's move constructor (or bad_alloc) propagates and leaves the
// queue consistent (the item is then not enqueued).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"
#include "coreio/detail/wake_batch.hpp"
#include "coreio/sync/exceptions.hpp"

namespace coreio {

/// Outcome of Queue::try_put / Queue::try_get.
enum class QueueStatus : std::uint8_t {
  ok,        ///< done
  empty,     ///< try_get: no queued item (get_nowait would raise QueueEmpty)
  full,      ///< try_put: no free slot (put_nowait would raise QueueFull)
  shut_down, ///< shutdown() was called (QueueShutDown)
};

namespace detail {
struct SyncProbe;
/// How a queue waiter was fired (written under the queue's lock before fire()).
enum class QueueWake : std::uint8_t { none, granted, shut_down };
/// Throws QueueEmpty, QueueFull or QueueShutDown for a failed status.
[[noreturn]] void throw_queue_status(QueueStatus status);
[[noreturn]] void throw_task_done_too_often();
} // namespace detail

/// asyncio.Queue: first in, first out. Base of PriorityQueue and LifoQueue,
/// which only change how items are ordered (the protected hooks).
template <class T>
class Queue {
  static_assert(std::is_move_constructible_v<T>, "queue items must be movable");

public:
  using value_type = T;

  /// A queue holding at most `maxsize` items; maxsize <= 0: unbounded.
  explicit Queue(std::int64_t maxsize = 0) noexcept : maxsize_(maxsize) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  virtual ~Queue() = default;

  /// Puts an item, waiting (FIFO among putters) while the queue is full.
  /// Throws QueueShutDown, CancelledError (item not enqueued).
  void put(T item);

  /// Puts an item if there is room now. Throws QueueFull, QueueShutDown.
  void put_nowait(T item) {
    const QueueStatus s = try_put(std::move(item));
    if (s != QueueStatus::ok) detail::throw_queue_status(s);
  }

  /// put_nowait's status form: moves from `item` only when it returns ok.
  [[nodiscard]] QueueStatus try_put(T&& item);
  [[nodiscard]] QueueStatus try_put(const T& item)
    requires std::copy_constructible<T>
  {
    if (QueueStatus s = admission(); s != QueueStatus::ok) return s; // cheap early out, no copy
    T copy(item);
    return try_put(std::move(copy));
  }

  /// Removes and returns an item, waiting (FIFO among getters) while empty.
  /// Throws QueueShutDown (shut down and empty), CancelledError (item kept).
  T get();

  /// Removes and returns a queued item. Throws QueueEmpty, QueueShutDown.
  T get_nowait() {
    std::expected<T, QueueStatus> r = try_get();
    if (!r) detail::throw_queue_status(r.error());
    return std::move(*r);
  }

  /// get_nowait's status form: the item, or QueueStatus::empty / shut_down.
  [[nodiscard]] std::expected<T, QueueStatus> try_get();

  /// One item taken earlier is fully processed (for join()).
  /// Throws ValueError if called more times than items were put.
  void task_done();

  /// Waits until every item put has been marked task_done() (or dropped by
  /// shutdown(true)). Throws CancelledError.
  void join();

  /// Python 3.13's shutdown (see the file comment). Idempotent; never waits.
  void shutdown(bool immediate = false);

  /// Items in the queue, including those already promised to woken getters.
  [[nodiscard]] std::size_t qsize() const noexcept {
    std::lock_guard g(lock_);
    return items_.size() + getter_reserved_;
  }
  [[nodiscard]] bool empty() const noexcept { return qsize() == 0; }
  /// True if put_nowait would find no free slot (never for an unbounded queue).
  [[nodiscard]] bool full() const noexcept {
    std::lock_guard g(lock_);
    return !has_room_locked();
  }
  /// The maxsize given to the constructor (<= 0: unbounded).
  [[nodiscard]] std::int64_t maxsize() const noexcept { return maxsize_; }

protected:
  /// asyncio's _put: store a new item.
  virtual void push_item(T&& item) { items_.push_back(std::move(item)); }
  /// asyncio's _get: remove the next item (items_ is not empty).
  virtual T pop_item() {
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  /// Take back an item that was taken for a getter cancelled before it ran:
  /// it is older than every queued item.
  virtual void return_item(T&& item) { items_.push_front(std::move(item)); }

  /// The queued items, arranged by the hooks above. Guarded by the queue's lock.
  std::deque<T> items_;

private:
  friend struct detail::SyncProbe;

  /// Per-getter payload (Waiter::data): the item it is handed.
  struct GetSlot {
    std::optional<T> item;
    detail::QueueWake how = detail::QueueWake::none;
  };
  /// Per-putter payload (Waiter::data).
  struct PutSlot {
    detail::QueueWake how = detail::QueueWake::none;
  };
  static GetSlot& get_slot(detail::Waiter* w) noexcept { return *reinterpret_cast<GetSlot*>(w->data); }
  static PutSlot& put_slot(detail::Waiter* w) noexcept { return *reinterpret_cast<PutSlot*>(w->data); }

  [[nodiscard]] QueueStatus admission() const noexcept {
    std::lock_guard g(lock_);
    if (shutdown_) return QueueStatus::shut_down;
    return putters_.empty() && has_room_locked() ? QueueStatus::ok : QueueStatus::full;
  }
  [[nodiscard]] bool has_room_locked() const noexcept {
    return maxsize_ <= 0 ||
           items_.size() + getter_reserved_ + putter_reserved_ < static_cast<std::size_t>(maxsize_);
  }
  void insert_locked(T&& item, detail::WakeBatch& wake);
  void hand_to_getter_locked(detail::Waiter* getter, T&& item, detail::WakeBatch& wake);
  /// Inline: on the hot paths nobody waits to put, and the call is a test.
  [[gnu::always_inline]] void admit_putters_locked(detail::WakeBatch& wake) noexcept;
  T take_locked(detail::WakeBatch& wake);

  const std::int64_t maxsize_;
  mutable detail::SpinLock lock_;
  detail::WaitList getters_;         ///< waiting for an item (only while items_ is empty)
  detail::WaitList putters_;         ///< waiting for a slot (only while full)
  detail::WaitList joiners_;         ///< waiting in join()
  std::size_t getter_reserved_ = 0;  ///< items handed to fired getters that have not run
  std::size_t putter_reserved_ = 0;  ///< slots granted to fired putters that have not run
  std::size_t unfinished_ = 0;       ///< items put and not yet task_done()
  bool shutdown_ = false;
  bool shutdown_immediate_ = false;
};

/// asyncio.PriorityQueue: get() returns the smallest item under Compare
/// (std::less: the lowest first; ties in no particular order).
template <class T, class Compare = std::less<T>>
class PriorityQueue : public Queue<T> {
public:
  explicit PriorityQueue(std::int64_t maxsize = 0, Compare compare = Compare()) noexcept(
      std::is_nothrow_move_constructible_v<Compare>)
      : Queue<T>(maxsize), later_{std::move(compare)} {}

protected:
  void push_item(T&& item) override {
    this->items_.push_back(std::move(item));
    std::push_heap(this->items_.begin(), this->items_.end(), later_);
  }
  T pop_item() override {
    std::pop_heap(this->items_.begin(), this->items_.end(), later_);
    T item = std::move(this->items_.back());
    this->items_.pop_back();
    return item;
  }
  void return_item(T&& item) override { push_item(std::move(item)); }

private:
  /// std heaps keep the greatest on top; ordering by "comes later" puts the
  /// smallest under Compare there.
  struct Later {
    Compare less;
    bool operator()(const T& a, const T& b) const { return less(b, a); }
  };
  Later later_;
};

/// asyncio.LifoQueue: get() returns the most recently put item.
template <class T>
class LifoQueue : public Queue<T> {
public:
  explicit LifoQueue(std::int64_t maxsize = 0) noexcept : Queue<T>(maxsize) {}

protected:
  T pop_item() override {
    T item = std::move(this->items_.back());
    this->items_.pop_back();
    return item;
  }
  // push_item: push_back (inherited). return_item: push_front (inherited): the
  // returned item is older than everything put since it was taken.
};

// ======================================================================= Queue

template <class T>
void Queue<T>::hand_to_getter_locked(detail::Waiter* getter, T&& item, detail::WakeBatch& wake) {
  GetSlot& slot = get_slot(getter);
  slot.item.emplace(std::move(item)); // may throw: nothing changed yet
  slot.how = detail::QueueWake::granted;
  ++getter_reserved_;
  wake.fire(getters_, getter);
}

template <class T>
void Queue<T>::insert_locked(T&& item, detail::WakeBatch& wake) {
  // Design step 1: a waiting getter (so items_ is empty) gets it directly.
  if (detail::Waiter* getter = getters_.front()) hand_to_getter_locked(getter, std::move(item), wake);
  else push_item(std::move(item)); // may throw: nothing changed yet
  ++unfinished_;
}

template <class T>
inline void Queue<T>::admit_putters_locked(detail::WakeBatch& wake) noexcept {
  // Design step 2: each free slot goes to the first waiting putter.
  while (!putters_.empty() && has_room_locked()) [[unlikely]] {
    detail::Waiter* putter = putters_.front();
    put_slot(putter).how = detail::QueueWake::granted;
    ++putter_reserved_;
    wake.fire(putters_, putter);
  }
}

template <class T>
T Queue<T>::take_locked(detail::WakeBatch& wake) {
  T item = pop_item();
  admit_putters_locked(wake);
  return item;
}

template <class T>
QueueStatus Queue<T>::try_put(T&& item) {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  if (shutdown_) return QueueStatus::shut_down;
  if (!putters_.empty() || !has_room_locked()) return QueueStatus::full;
  insert_locked(std::move(item), wake);
  return QueueStatus::ok;
}

template <class T>
void Queue<T>::put(T item) {
  detail::Waiter w;
  PutSlot slot;
  {
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(lock_);
    if (shutdown_) detail::throw_queue_status(QueueStatus::shut_down);
    if (putters_.empty() && has_room_locked()) {
      insert_locked(std::move(item), wake);
      return;
    }
    detail::ensure_can_suspend();
    w.target = &detail::current_wakeable();
    w.data = reinterpret_cast<std::uintptr_t>(&slot);
    putters_.push_back(&w);
  }
  const detail::WaitResult r = detail::wait_until_fired(w, lock_, putters_);
  if (r == detail::WaitResult::cancelled) detail::throw_cancelled(); // nothing granted, nothing put
  // Fired: `slot` was written before fire(), whose Release store
  // wait_until_fired() read with Acquire.
  if (slot.how == detail::QueueWake::shut_down) {
    if (r == detail::WaitResult::fired_and_cancelled) detail::throw_cancelled();
    detail::throw_queue_status(QueueStatus::shut_down);
  }
  // Granted: a slot is reserved for us (design step 3).
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::unique_lock g(lock_);
  --putter_reserved_;
  if (r == detail::WaitResult::fired_and_cancelled) {
    admit_putters_locked(wake); // pass the slot on; our item stays ours
    g.unlock();
    detail::throw_cancelled();
  }
  // Shut down since the grant: asyncio's woken putter meets put_nowait's check.
  if (shutdown_) detail::throw_queue_status(QueueStatus::shut_down);
  try {
    insert_locked(std::move(item), wake);
  } catch (...) {
    admit_putters_locked(wake); // the slot we are not using goes on
    throw;
  }
}

template <class T>
std::expected<T, QueueStatus> Queue<T>::try_get() {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  if (!items_.empty()) return take_locked(wake);
  return std::unexpected(shutdown_ ? QueueStatus::shut_down : QueueStatus::empty);
}

template <class T>
T Queue<T>::get() {
  detail::Waiter w;
  GetSlot slot;
  {
    detail::WakeBatch wake; // declared first: wakes after the guard unlocks
    std::lock_guard g(lock_);
    if (!items_.empty()) return take_locked(wake);
    if (shutdown_) detail::throw_queue_status(QueueStatus::shut_down);
    detail::ensure_can_suspend();
    w.target = &detail::current_wakeable();
    w.data = reinterpret_cast<std::uintptr_t>(&slot);
    getters_.push_back(&w);
  }
  const detail::WaitResult r = detail::wait_until_fired(w, lock_, getters_);
  if (r == detail::WaitResult::cancelled) detail::throw_cancelled(); // nothing was handed to us
  // Fired: `slot` was written before fire(), whose Release store
  // wait_until_fired() read with Acquire.
  if (slot.how == detail::QueueWake::shut_down) {
    if (r == detail::WaitResult::fired_and_cancelled) detail::throw_cancelled();
    detail::throw_queue_status(QueueStatus::shut_down);
  }
  // Granted: slot.item is ours, still counted as reserved (design step 3).
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::unique_lock g(lock_);
  --getter_reserved_;
  if (shutdown_immediate_) {
    // shutdown(true) already counted this item as dropped; drop it now.
    g.unlock();
    slot.item.reset();
    if (r == detail::WaitResult::fired_and_cancelled) detail::throw_cancelled();
    detail::throw_queue_status(QueueStatus::shut_down);
  }
  if (r == detail::WaitResult::fired_and_cancelled) {
    // Hand the item on: to the next getter, else back to the head of the queue.
    if (detail::Waiter* next = getters_.front()) hand_to_getter_locked(next, std::move(*slot.item), wake);
    else return_item(std::move(*slot.item));
    g.unlock();
    detail::throw_cancelled();
  }
  admit_putters_locked(wake); // our reservation's slot is free now
  g.unlock();
  return std::move(*slot.item);
}

template <class T>
void Queue<T>::task_done() {
  detail::WakeBatch wake; // declared first: wakes after the guard unlocks
  std::lock_guard g(lock_);
  if (unfinished_ == 0) detail::throw_task_done_too_often();
  if (--unfinished_ == 0) wake.fire_all(joiners_);
}

template <class T>
void Queue<T>::join() {
  detail::Waiter w;
  {
    std::lock_guard g(lock_);
    if (unfinished_ == 0) return;
    detail::ensure_can_suspend();
    w.target = &detail::current_wakeable();
    joiners_.push_back(&w);
  }
  // A broadcast: a joiner fired and then cancelled has nothing to pass on.
  if (detail::wait_until_fired(w, lock_, joiners_) != detail::WaitResult::fired) detail::throw_cancelled();
}

template <class T>
void Queue<T>::shutdown(bool immediate) {
  std::deque<T> dropped; // destroyed last, after the wake-ups, outside the lock
  detail::WakeBatch wake; // declared before the guard: wakes after it unlocks
  std::lock_guard g(lock_);
  shutdown_ = true;
  if (immediate) {
    // asyncio drains every item in the queue, one unfinished count each. Items
    // reserved for getters are in the queue too; they are dropped when their
    // getter runs (Queue::get), and counted here, once.
    std::size_t n = items_.size();
    if (!shutdown_immediate_) n += getter_reserved_;
    shutdown_immediate_ = true;
    dropped.swap(items_);
    unfinished_ -= std::min(n, unfinished_);
    if (unfinished_ == 0) wake.fire_all(joiners_);
  }
  while (detail::Waiter* getter = getters_.front()) {
    get_slot(getter).how = detail::QueueWake::shut_down;
    wake.fire(getters_, getter);
  }
  while (detail::Waiter* putter = putters_.front()) {
    put_slot(putter).how = detail::QueueWake::shut_down;
    wake.fire(putters_, putter);
  }
}

} // namespace coreio
