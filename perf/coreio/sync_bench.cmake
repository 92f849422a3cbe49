# coreio_sync_bench: sync/'s figures (uncontended Lock/Semaphore/Queue costs
# and the pingpong row through Queue(maxsize=1) in the three runtime shapes).
# Included by perf/coreio/CMakeLists.txt.
add_executable(coreio_sync_bench ${CMAKE_CURRENT_LIST_DIR}/sync_bench.cpp)
target_link_libraries(coreio_sync_bench PRIVATE coreio::sync coreio_private)
