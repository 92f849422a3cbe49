// The umbrella header of coreio::sync: asyncio's synchronization primitives
// and queues, and beyond asyncio Notify, RwLock and the oneshot, mpsc,
// broadcast and watch channels, for tasks on any loop (and plain OS threads).
#pragma once

#include "coreio/sync/barrier.hpp"
#include "coreio/sync/broadcast.hpp"
#include "coreio/sync/channel_status.hpp"
#include "coreio/sync/condition.hpp"
#include "coreio/sync/event.hpp"
#include "coreio/sync/exceptions.hpp"
#include "coreio/sync/lock.hpp"
#include "coreio/sync/mpsc.hpp"
#include "coreio/sync/notify.hpp"
#include "coreio/sync/oneshot.hpp"
#include "coreio/sync/queue.hpp"
#include "coreio/sync/rwlock.hpp"
#include "coreio/sync/semaphore.hpp"
#include "coreio/sync/watch.hpp"
