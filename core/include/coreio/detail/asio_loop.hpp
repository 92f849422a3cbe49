// The bridge from a coreio Loop to its Boost.Asio io_context, for net/ and
// for coreio::use_task. The only public core header that names Asio.
#pragma once

namespace boost::asio {
class io_context;
}

namespace coreio {
class Loop;
namespace detail {

/// The io_context that `loop` runs on its thread. Asio objects (sockets,
/// timers) created on it complete their handlers on that loop's thread;
/// operations may be *initiated* from any thread (a migrated task), as long as
/// one object is not used by two operations of the same kind at once.
boost::asio::io_context& io_context_of(Loop& loop) noexcept;

} // namespace detail
} // namespace coreio
