// Signal handlers on loops: one watcher task per (loop, signal), pinned to the
// loop, waiting on an asio::signal_set with use_task and scheduling the
// callback with call_soon. The signal_set is created before
// add_signal_handler returns, so the signal is caught from that moment on;
// it is destroyed on the loop when the watcher task ends (removal or
// runtime shutdown), which restores the default action if no other set
// watches the signal.
#include "coreio/net/signals.hpp"

#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include <boost/asio/signal_set.hpp>

#include "coreio/detail/asio_loop.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/runtime.hpp"
#include "coreio/task.hpp"
#include "coreio/use_task.hpp"

namespace coreio {

namespace {

/// The callback of one (loop, signal) handler; owned by its watcher task.
struct Watch {
  std::mutex mu;
  std::function<void()> callback;

  std::function<void()> get() {
    std::lock_guard g(mu);
    return callback;
  }
};

struct Entry {
  std::weak_ptr<Watch> watch;
  TaskHandle task;
};

using Key = std::pair<const Loop*, int>;

/// Process-wide, like the dispositions it mirrors (keyed by loop). Entries
/// only point at their watch: the watcher task owns it, so a runtime that
/// closes releases every callback with its tasks.
struct Registry {
  std::mutex mu;
  std::map<Key, Entry> entries;
};

Registry& registry() {
  static Registry r; // function-local static: built once, thread-safely
  return r;
}

/// The watcher task's hold on its watch: when the task's function goes
/// (the task ended, or was dropped unrun), the watch goes with it, and so
/// does the registry entry, unless a newer handler took the key meanwhile.
class WatchHolder {
public:
  WatchHolder(Key key, std::shared_ptr<Watch> w) : key_(key), watch_(std::move(w)) {}
  WatchHolder(WatchHolder&&) noexcept = default;
  WatchHolder(const WatchHolder&) = delete;
  WatchHolder& operator=(const WatchHolder&) = delete;
  WatchHolder& operator=(WatchHolder&&) = delete;
  ~WatchHolder() {
    if (!watch_) return; // moved from
    watch_.reset();
    Registry& reg = registry();
    std::lock_guard g(reg.mu);
    auto it = reg.entries.find(key_);
    if (it != reg.entries.end() && it->second.watch.expired()) reg.entries.erase(it);
  }
  [[nodiscard]] Watch& operator*() const noexcept { return *watch_; }

private:
  Key key_;
  std::shared_ptr<Watch> watch_;
};

void check_signal(int sig) {
  if (sig <= 0 || sig >= NSIG)
    throw ValueError("sig " + std::to_string(sig) + " out of range(1, " + std::to_string(NSIG) + ")");
}

} // namespace

void add_signal_handler(Loop& loop, int sig, std::function<void()> callback) {
  check_signal(sig);
  if (sig == SIGKILL || sig == SIGSTOP) throw RuntimeError("sig " + std::to_string(sig) + " cannot be caught");
  if (!callback) throw ValueError("add_signal_handler: empty callback");
  if (Runtime::current() != &loop.runtime())
    throw RuntimeError("add_signal_handler() must be called from a task or callback of the loop's runtime");
  Registry& reg = registry();
  std::lock_guard g(reg.mu);
  const Key key{&loop, sig};
  if (auto it = reg.entries.find(key); it != reg.entries.end()) {
    if (auto live = it->second.watch.lock()) {
      std::lock_guard wg(live->mu);
      live->callback = std::move(callback);
      return;
    }
  }
  auto watch = std::make_shared<Watch>();
  watch->callback = std::move(callback);
  boost::system::error_code ec;
  auto set = std::make_unique<boost::asio::signal_set>(detail::io_context_of(loop));
  set->add(sig, ec);
  if (ec) throw RuntimeError("sig " + std::to_string(sig) + " cannot be caught: " + ec.message());
  Entry entry{.watch = watch, .task = {}};
  entry.task = loop.create_task(
      [holder = WatchHolder(key, std::move(watch)), set = std::move(set), &loop]() mutable {
        for (;;) {
          set->async_wait(use_task);
          if (auto cb = (*holder).get()) loop.call_soon([cb = std::move(cb)] { cb(); });
        }
      },
      {.name = "signal-" + std::to_string(sig)});
  reg.entries[key] = std::move(entry);
}

bool remove_signal_handler(Loop& loop, int sig) {
  check_signal(sig);
  TaskHandle task;
  {
    Registry& reg = registry();
    std::lock_guard g(reg.mu);
    auto it = reg.entries.find({&loop, sig});
    if (it == reg.entries.end()) return false;
    const bool live = !it->second.watch.expired();
    task = std::move(it->second.task);
    reg.entries.erase(it);
    if (!live) return false;
  }
  task.cancel();
  // From a task: wait, so the default action is back when we return.
  if (current_task()) task.wait();
  return true;
}

} // namespace coreio
