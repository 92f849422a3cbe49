# COREIO_PCH: precompiled headers for the project's own targets.
#
# The library sources parse the same heavy headers (Boost.Asio, the C++23
# standard library, spdlog/fmt) in every translation unit; precompiling them
# once per library cut coreio_net's compile time from 98 to 65 CPU-seconds and
# coreio_core's from 86 to 79 in a clean release build. The tests gained
# nothing measurable (their time goes to instantiating templates, not to
# parsing), so they do not use one. check_headers never uses a PCH, so every
# public header is still compiled on its own.
option(COREIO_PCH "Precompile heavy third-party and standard headers" ON)

# coreio_precompile(<target> <header>...): <header> in angle brackets.
function(coreio_precompile target)
  if(COREIO_PCH)
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()

# The standard headers nearly every coreio translation unit includes.
set(COREIO_PCH_STD <algorithm> <atomic> <chrono> <exception> <functional> <memory> <mutex> <optional>
    <string> <string_view> <thread> <type_traits> <utility> <vector>)
