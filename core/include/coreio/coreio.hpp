// The umbrella header: everything in coreio::core.
#pragma once

#include "coreio/context_var.hpp"
#include "coreio/exceptions.hpp"
#include "coreio/executor.hpp"
#include "coreio/future.hpp"
#include "coreio/handle.hpp"
#include "coreio/loop.hpp"
#include "coreio/process_pool_executor.hpp"
#include "coreio/run_coroutine_threadsafe.hpp"
#include "coreio/runtime.hpp"
#include "coreio/runtime_config.hpp"
#include "coreio/sleep.hpp"
#include "coreio/task.hpp"
#include "coreio/thread_pool_executor.hpp"
#include "coreio/to_thread.hpp"
