// The umbrella header of coreio::sync: asyncio's synchronization primitives
// and queues, for tasks on any loop (and plain OS threads).
#pragma once

#include "coreio/sync/barrier.hpp"
#include "coreio/sync/condition.hpp"
#include "coreio/sync/event.hpp"
#include "coreio/sync/exceptions.hpp"
#include "coreio/sync/lock.hpp"
#include "coreio/sync/queue.hpp"
#include "coreio/sync/semaphore.hpp"
