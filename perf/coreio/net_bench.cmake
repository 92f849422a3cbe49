# coreio_echo_server: the echo row's coreio server (net/), driven by perf/loadgen
# like peer_asio_echo_server. Included by perf/coreio/CMakeLists.txt.
if(TARGET coreio_net)
  add_executable(coreio_echo_server ${CMAKE_CURRENT_LIST_DIR}/echo_server.cpp)
  target_link_libraries(coreio_echo_server PRIVATE coreio::net perf_common coreio_private)
endif()
