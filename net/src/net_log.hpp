// net/'s diagnostics go to coreio's spdlog logger ("coreio"; level from
// COREIO_LOG_LEVEL, see core/src/runtime/log.hpp).
#pragma once

#include <spdlog/spdlog.h>

namespace coreio::detail {

/// The "coreio" logger, shared with core (created here if core has not yet).
spdlog::logger& net_log();

} // namespace coreio::detail
