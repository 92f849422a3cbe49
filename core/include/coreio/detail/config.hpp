// The language requirement of coreio's public headers, checked where it is
// first needed: coreio is written in C++23 (std::expected, std::move_only_function,
// deducing this, ...). CMake consumers get it from coreio::core's cxx_std_23;
// others pass -std=c++23 (coreio.pc's Cflags do).
#pragma once

// GCC 12 reports 202100L for -std=c++23 (its C++23 mode predates the final
// value 202302L); C++20 is 202002L.
#if __cplusplus <= 202002L
#error "coreio requires C++23: compile with -std=c++23 (CMake: coreio::core sets cxx_std_23)"
#endif
