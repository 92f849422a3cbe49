// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §3.2.2 Future 未来对象
//
// The seed lists asyncio.Future's methods without a program:
//   cancel(), cancelled(), done(), result(), exception(),
//   add_done_callback(fn), remove_done_callback(fn),
//   set_result(result), set_exception(exception)
// with their rules: result() of a pending future raises InvalidStateError,
// of a cancelled one CancelledError, of a failed one its exception;
// set_result() on a done future raises InvalidStateError; callbacks get the
// future as their one argument. This program walks through each of them.
//
// One C++ difference: callables cannot be compared, so add_done_callback
// returns an id and remove_done_callback(id) removes that registration
// (asyncio removes every callback equal to fn). Callbacks are scheduled on
// the loop with call_soon when the future completes, in registration order,
// never run inline by set_result.
#include <stdexcept>
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

int main() {
  coreio::run(
      [] {
        coreio::Loop& loop = coreio::get_running_loop();

        auto fut = loop.create_future<int>();
        fmt::print("done: {}, cancelled: {}\n", fut.done(), fut.cancelled());
        try {
          (void)fut.result();
        } catch (const coreio::InvalidStateError& e) {
          fmt::print("result() while pending: InvalidStateError: {}\n", e.what());
        }

        fut.add_done_callback([](coreio::Future<int>& f) { fmt::print("callback 1 sees {}\n", f.result()); });
        auto id = fut.add_done_callback([](coreio::Future<int>&) { fmt::print("callback 2 (removed, never runs)\n"); });
        fut.add_done_callback([](coreio::Future<int>& f) { fmt::print("callback 3 sees {}\n", f.result()); });
        fmt::print("remove_done_callback removed {}\n", fut.remove_done_callback(id));

        fut.set_result(42);
        fmt::print("done: {}, result: {}\n", fut.done(), fut.result());
        try {
          fut.set_result(43);
        } catch (const coreio::InvalidStateError& e) {
          fmt::print("set_result() twice: InvalidStateError: {}\n", e.what());
        }
        coreio::yield_now(); // let the scheduled callbacks run (asyncio.sleep(0))

        auto failed = loop.create_future<int>();
        failed.set_exception(std::runtime_error("boom"));
        fmt::print("exception() is set: {}\n", failed.exception() != nullptr);
        try {
          (void)failed.result();
        } catch (const std::runtime_error& e) {
          fmt::print("result() of a failed future raises: {}\n", e.what());
        }

        auto cancelled = loop.create_future<int>();
        bool first = cancelled.cancel("no longer needed");
        bool again = cancelled.cancel();
        fmt::print("cancel(): {}, again: {}\n", first, again);
        fmt::print("cancelled: {}, done: {}\n", cancelled.cancelled(), cancelled.done());
        try {
          (void)cancelled.result();
        } catch (const coreio::CancelledError& e) {
          fmt::print("result() of a cancelled future raises CancelledError: {}\n", e.what());
        }
      },
      examples::shape());
}
