// The type-erased callable every task body and callback becomes at the API
// boundary (STYLE.md "avoid": type-erase so a body is compiled once).
#pragma once

#include "coreio/detail/config.hpp"

#include <functional>

namespace coreio::detail {

template <class Sig>
using Function = std::move_only_function<Sig>;

} // namespace coreio::detail
