// RwLock: a fair, writer-preferring readers-writer lock for tasks (Tokio's
// sync::RwLock without the data; std::shared_mutex's interface). Beyond asyncio.
//
//     coreio::RwLock rw;
//     { auto guard = rw.read();  ... }     // many readers at once
//     { auto guard = rw.write(); ... }     // one writer, no readers
//     std::shared_lock s(rw); std::unique_lock u(rw);  // the std guards work too
//
// Design: the reader count, the writer flag and one FIFO WaitList of readers
// and writers (Waiter::data says which) under a SpinLock, on core's Waiter
// protocol (coreio/detail/waiter.hpp). Access is granted strictly in arrival
// order: a newcomer waits whenever anyone is queued, so a waiting writer
// blocks the readers that arrive after it (writers are never starved) and the
// readers queued behind a writer are admitted together once it is done
// (readers are not starved either). grant_locked() admits from the head of
// the queue: a run of readers while no writer holds the lock, or one writer
// once the lock is free. The grant is made on the waiter's behalf before it
// runs (a hand-off, as Lock's), so nobody overtakes a woken waiter.
//
// Cancellation (protocol step 4): a waiter cancelled before its grant unlinks
// itself and then re-runs grant_locked(), since a writer leaving the head of
// the queue may unblock the readers behind it; one granted and cancelled
// before it ran releases what it was granted (which admits the next waiters)
// and then raises. So a grant is never lost and never doubled.
//
// Thread safety: distinct objects: safe. Shared objects: safe; waiters may be
// tasks on any loop or plain OS threads (which then block). Like Lock, the
// lock has no owner: a guard may be released from another task or thread.
// Not reentrant: a task that holds it and asks again (read after read
// included, once a writer queued in between) deadlocks.
//
// Resumes on: the release (or cancellation) that grants a waiter access
// queues the woken task on its loop, never running it on the releaser's
// stack; a waiting thread is unparked.
//
// Throws: read()/write()/lock()/lock_shared(): CancelledError (nothing held);
// RuntimeError when they would have to wait inside a loop callback. unlock()
// / unlock_shared() of a lock not held that way: RuntimeError. The try_ forms
// never throw.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include "coreio/detail/spin_lock.hpp"
#include "coreio/detail/waiter.hpp"

namespace coreio {

namespace detail {
struct SyncProbe;
class WakeBatch;
} // namespace detail

class RwLock {
public:
  /// Holds shared (read) access until destroyed or unlock()ed. Movable.
  class ReadGuard {
  public:
    ReadGuard(ReadGuard&& o) noexcept : lock_(std::exchange(o.lock_, nullptr)) {}
    ReadGuard& operator=(ReadGuard&& o) noexcept {
      if (this != &o) {
        unlock();
        lock_ = std::exchange(o.lock_, nullptr);
      }
      return *this;
    }
    ~ReadGuard() { unlock(); }
    /// Releases early; afterwards the guard holds nothing.
    void unlock() noexcept {
      if (RwLock* l = std::exchange(lock_, nullptr)) (void)l->release(read_access);
    }
    [[nodiscard]] bool owns_lock() const noexcept { return lock_ != nullptr; }

  private:
    friend class RwLock;
    explicit ReadGuard(RwLock* l) noexcept : lock_(l) {}
    RwLock* lock_;
  };

  /// Holds exclusive (write) access until destroyed or unlock()ed. Movable.
  class WriteGuard {
  public:
    WriteGuard(WriteGuard&& o) noexcept : lock_(std::exchange(o.lock_, nullptr)) {}
    WriteGuard& operator=(WriteGuard&& o) noexcept {
      if (this != &o) {
        unlock();
        lock_ = std::exchange(o.lock_, nullptr);
      }
      return *this;
    }
    ~WriteGuard() { unlock(); }
    /// Releases early; afterwards the guard holds nothing.
    void unlock() noexcept {
      if (RwLock* l = std::exchange(lock_, nullptr)) (void)l->release(write_access);
    }
    [[nodiscard]] bool owns_lock() const noexcept { return lock_ != nullptr; }

  private:
    friend class RwLock;
    explicit WriteGuard(RwLock* l) noexcept : lock_(l) {}
    RwLock* lock_;
  };

  /// Unlocked, nobody waiting.
  RwLock() noexcept = default;
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  /// Shared access, waiting (FIFO) while a writer holds or waits for the lock.
  [[nodiscard]] ReadGuard read() {
    lock_shared();
    return ReadGuard(this);
  }
  /// Exclusive access, waiting (FIFO) while anyone holds or waits for the lock.
  [[nodiscard]] WriteGuard write() {
    lock();
    return WriteGuard(this);
  }
  /// Shared access if no writer holds the lock and nobody waits. Never waits.
  [[nodiscard]] std::optional<ReadGuard> try_read() noexcept {
    if (!try_lock_shared()) return std::nullopt;
    return ReadGuard(this);
  }
  /// Exclusive access if the lock is free and nobody waits. Never waits.
  [[nodiscard]] std::optional<WriteGuard> try_write() noexcept {
    if (!try_lock()) return std::nullopt;
    return WriteGuard(this);
  }

  /// SharedLockable (std::shared_lock) and Lockable (std::unique_lock,
  /// std::lock_guard): the same operations without guards.
  void lock_shared() { acquire(read_access); }
  [[nodiscard]] bool try_lock_shared() noexcept;
  void unlock_shared();
  void lock() { acquire(write_access); }
  [[nodiscard]] bool try_lock() noexcept;
  void unlock();

  /// Readers holding the lock now (a snapshot).
  [[nodiscard]] std::size_t readers() const noexcept;
  /// True while a writer holds the lock (a snapshot).
  [[nodiscard]] bool write_locked() const noexcept;

private:
  friend struct detail::SyncProbe;
  /// Waiter::data: what the waiter asks for.
  static constexpr std::uintptr_t read_access = 1;
  static constexpr std::uintptr_t write_access = 2;

  void acquire(std::uintptr_t access);
  [[nodiscard]] bool free_for_locked(std::uintptr_t access) const noexcept;
  void take_locked(std::uintptr_t access) noexcept;
  /// Admits waiters from the head of the queue while they fit (file comment).
  void grant_locked(detail::WakeBatch& wake) noexcept;
  /// Gives back `access`, admitting the next waiters; false if it was not held.
  bool release(std::uintptr_t access) noexcept;

  mutable detail::SpinLock lock_;
  detail::WaitList waiters_; ///< guarded by lock_; data = read_access / write_access
  std::size_t readers_ = 0; ///< guarded by lock_: readers holding (or granted) access
  bool writer_ = false; ///< guarded by lock_: a writer holds (or was granted) access
};

} // namespace coreio
