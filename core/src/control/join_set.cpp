// JoinSet (join_set.hpp): tasks handed out in completion order.
//
// The set's state is a JoinSetCore under one lock: the members still running
// (`running_`), the finished ones not joined yet (`done_`, in completion
// order), and the joiners blocked in join_next() (`waiters_`, waiter.hpp).
//  1. add() inserts the task into `running_`, then adds its done callback
//     outside the lock (a callback added from a plain thread to a done task
//     runs inline and takes the lock itself). The callback keeps the core
//     alive, so a late callback never touches a freed set.
//  2. The done callback moves the task from `running_` to `done_` and fires
//     the first waiter. A callback whose task is no longer in `running_`
//     (detach_all() took it) does nothing.
//  3. `done_` is the only record of a finished task: a joiner takes it from
//     there under the lock, so each task goes to exactly one joiner. Firing a
//     waiter hands it no task, only a reason to look again; a woken joiner
//     that finds `done_` empty (another joiner was faster) waits again.
//  4. A joiner cancelled after it was fired (waiter.hpp, step 4) leaves the
//     task in `done_` and fires the next waiter for it, so no wake-up is lost
//     when a task finishes on another loop while its joiner is cancelled.
//  5. detach_all() empties `running_` and fires every waiter, so joiners of a
//     set that became empty return nullopt.
//  6. Likewise when the last running task finishes: every waiter is fired,
//     one of them takes that task and the others find the set empty.
#include "coreio/join_set.hpp"

#include <mutex>
#include <vector>

#include "coreio/detail/wake_batch.hpp"

namespace coreio::detail {

namespace {
/// Under the set's lock: fires the waiters that have something to find
/// (steps 2, 4, 6). `idle`: no task is running any more.
void wake_joiners(WaitList& waiters, bool idle, bool has_done, WakeBatch& wake) {
  if (idle) {
    // Step 6: every joiner but the one that takes the last task must see
    // the set empty and return.
    while (!waiters.empty()) wake.add(fire(waiters, waiters.front()));
  } else if (has_done && !waiters.empty()) {
    wake.add(fire(waiters, waiters.front()));
  }
}
} // namespace

void JoinSetCore::add(const Ref<FutureStateBase>& task, void* slot) {
  FutureStateBase* key = task.get();
  {
    std::lock_guard g(mu_);
    running_.emplace(key, std::pair{Entry{task, slot}, std::uint64_t{0}});
  }
  // Step 1: outside the lock. `task` keeps the state alive for the call.
  const std::uint64_t id =
      task->add_done_callback([self = Ref<JoinSetCore>::share(this)](FutureStateBase* t) { self->on_done(*t); });
  std::lock_guard g(mu_);
  if (auto it = running_.find(key); it != running_.end()) it->second.second = id;
}

void JoinSetCore::on_done(FutureStateBase& task) {
  WakeBatch wake; // before the guard: wakes after unlocking
  std::lock_guard g(mu_);
  auto it = running_.find(&task);
  if (it == running_.end()) return; // step 2: detached
  done_.push_back(std::move(it->second.first));
  running_.erase(it);
  wake_joiners(waiters_, running_.empty(), !done_.empty(), wake);
}

std::optional<JoinSetCore::Entry> JoinSetCore::pop_done_locked() {
  if (done_.empty()) return std::nullopt;
  Entry e = std::move(done_.front());
  done_.pop_front();
  return e;
}

std::optional<JoinSetCore::Entry> JoinSetCore::try_join_next() {
  std::lock_guard g(mu_);
  return pop_done_locked();
}

std::optional<JoinSetCore::Entry> JoinSetCore::join_next() {
  for (;;) {
    Waiter w;
    w.target = &current_wakeable();
    mu_.lock();
    if (std::optional<Entry> e = pop_done_locked()) {
      mu_.unlock();
      return e;
    }
    if (running_.empty()) {
      mu_.unlock();
      return std::nullopt;
    }
    mu_.unlock();
    ensure_can_suspend(); // only now: a ready task is returned even from a callback
    mu_.lock();
    if (!done_.empty() || running_.empty()) { // changed while unlocked: look again
      mu_.unlock();
      continue;
    }
    waiters_.push_back(&w);
    mu_.unlock();
    switch (wait_until_fired(w, mu_, waiters_)) {
    case WaitResult::fired: continue; // step 3: look again
    case WaitResult::cancelled: throw_cancelled();
    case WaitResult::fired_and_cancelled: {
      // Step 4: pass the wake-up on before raising.
      WakeBatch wake;
      {
        std::lock_guard g(mu_);
        wake_joiners(waiters_, running_.empty(), !done_.empty(), wake);
      }
      wake.wake_all();
      throw_cancelled();
    }
    }
  }
}

void JoinSetCore::abort_all() {
  std::vector<Ref<FutureStateBase>> running;
  {
    std::lock_guard g(mu_);
    running.reserve(running_.size());
    for (const auto& [key, entry] : running_) running.push_back(entry.first.task);
  }
  // Outside the lock: cancelling may complete a future, whose callbacks may
  // run inline (a set used from a plain thread) and take the lock.
  for (auto& t : running) (void)t->cancel({});
}

void JoinSetCore::detach_all() {
  std::unordered_map<FutureStateBase*, std::pair<Entry, std::uint64_t>> detached;
  std::deque<Entry> finished; // released after unlocking, like `detached`
  {
    WakeBatch wake;
    std::lock_guard g(mu_);
    detached.swap(running_);
    finished.swap(done_);
    while (!waiters_.empty()) wake.add(fire(waiters_, waiters_.front())); // step 5
  }
  // A callback not removed here (it is running, or its id was not recorded
  // yet) finds its task gone from `running_` and does nothing (step 2).
  for (auto& [key, entry] : detached)
    if (entry.second != 0) (void)key->remove_done_callback(entry.second);
}

std::size_t JoinSetCore::size() const {
  std::lock_guard g(mu_);
  return running_.size() + done_.size();
}

} // namespace coreio::detail
