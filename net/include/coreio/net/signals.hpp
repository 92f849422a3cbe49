// add_signal_handler / remove_signal_handler: asyncio's
// loop.add_signal_handler(sig, callback) and loop.remove_signal_handler(sig).
//
//     coreio::add_signal_handler(coreio::get_running_loop(), SIGTERM, [&] { server.close(); });
//
// They are free functions taking the loop (net/ builds on core, so Loop cannot
// name them as members). The callback runs on `loop` as an ordinary callback
// (call_soon), never in signal context: a Boost.Asio signal_set on the loop's
// io_context catches the signal through Asio's self-pipe, and a task pinned to
// the loop waits on it. Several deliveries before the callback runs may be
// merged into one call, as with any Unix signal.
//
// Signal dispositions are process-wide, so the table of handlers is too (it
// is keyed by loop). A handler lives until it is removed or its runtime
// closes; removing the last one for a signal restores the default action.
//
// Thread safety: callable from any task or callback of the loop's runtime
// (asyncio requires the main thread, because it uses set_wakeup_fd; coreio's
// equivalent restriction is "from inside the runtime": RuntimeError otherwise).
// Throws: ValueError for a signal number out of range(1, NSIG), RuntimeError
// for SIGKILL/SIGSTOP (they cannot be caught) or a call from outside the runtime.
#pragma once

#include <functional>

#include "coreio/loop.hpp"

namespace coreio {

/// Runs `callback` on `loop` whenever `sig` arrives; replaces the loop's
/// previous handler for `sig`.
void add_signal_handler(Loop& loop, int sig, std::function<void()> callback);

/// Removes the loop's handler for `sig`; false if there was none.
bool remove_signal_handler(Loop& loop, int sig);

} // namespace coreio
