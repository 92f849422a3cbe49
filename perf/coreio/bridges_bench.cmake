# coreio_bridges_bench: the bridge rows of the benchmark card (inject,
# to_thread) plus process-pool round trips. Included by perf/coreio/CMakeLists.txt.
add_executable(coreio_bridges_bench ${CMAKE_CURRENT_LIST_DIR}/bridges_bench.cpp)
target_link_libraries(coreio_bridges_bench PRIVATE coreio::core coreio_private)
