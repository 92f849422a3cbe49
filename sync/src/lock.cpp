// Lock: the out-of-line error path (the rest is inline in lock.hpp, over
// detail::Permits).
#include "coreio/sync/lock.hpp"

#include "coreio/exceptions.hpp"

namespace coreio::detail {

void throw_lock_not_acquired() {
  // asyncio's message, word for word.
  throw RuntimeError("Lock is not acquired.");
}

} // namespace coreio::detail
