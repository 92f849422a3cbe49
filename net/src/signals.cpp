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

#include <boost/asio/signal_set.hpp>

#include "coreio/detail/asio_loop.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/runtime.hpp"
#include "coreio/task.hpp"
#include "coreio/use_task.hpp"

namespace coreio {

namespace {

struct Watch {
  std::mutex mu;
  std::function<void()> callback;
  TaskHandle task;

  std::function<void()> get() {
    std::lock_guard g(mu);
    return callback;
  }
};

/// Process-wide, like the dispositions it mirrors (keyed by loop).
struct Registry {
  std::mutex mu;
  std::map<std::pair<const Loop*, int>, std::shared_ptr<Watch>> watches;
};

Registry& registry() {
  static Registry r; // function-local static: built once, thread-safely
  return r;
}

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
  auto& slot = reg.watches[{&loop, sig}];
  if (slot && slot->task && !slot->task.done()) {
    std::lock_guard wg(slot->mu);
    slot->callback = std::move(callback);
    return;
  }
  auto watch = std::make_shared<Watch>();
  watch->callback = std::move(callback);
  boost::system::error_code ec;
  auto set = std::make_unique<boost::asio::signal_set>(detail::io_context_of(loop));
  set->add(sig, ec);
  if (ec) throw RuntimeError("sig " + std::to_string(sig) + " cannot be caught: " + ec.message());
  watch->task = loop.create_task(
      [watch_ref = std::weak_ptr<Watch>(watch), set = std::move(set), &loop]() mutable {
        for (;;) {
          set->async_wait(use_task);
          auto w = watch_ref.lock();
          if (!w) return;
          if (auto cb = w->get()) loop.call_soon([cb = std::move(cb)] { cb(); });
        }
      },
      {.name = "signal-" + std::to_string(sig)});
  slot = std::move(watch);
}

bool remove_signal_handler(Loop& loop, int sig) {
  check_signal(sig);
  std::shared_ptr<Watch> watch;
  {
    Registry& reg = registry();
    std::lock_guard g(reg.mu);
    auto it = reg.watches.find({&loop, sig});
    if (it == reg.watches.end()) return false;
    watch = std::move(it->second);
    reg.watches.erase(it);
  }
  // A watch left by a closed runtime whose loop had this address is no handler.
  if (!watch->task || watch->task.done()) return false;
  watch->task.cancel();
  // From a task: wait, so the default action is back when we return.
  if (current_task()) watch->task.wait();
  return true;
}

} // namespace coreio
