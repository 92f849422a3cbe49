# coreio_check_headers: compiles every public header alone, so each one is
# self-contained (STYLE.md 2). Built as part of the test build.
file(GLOB_RECURSE _coreio_public_headers CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/core/include/coreio/*.hpp
  ${PROJECT_SOURCE_DIR}/sync/include/coreio/*.hpp
  ${PROJECT_SOURCE_DIR}/net/include/coreio/*.hpp)
if(TARGET coreio_mpi)
  file(GLOB_RECURSE _coreio_mpi_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/mpi/include/coreio/*.hpp)
  list(APPEND _coreio_public_headers ${_coreio_mpi_headers})
endif()
set(_check_sources "")
foreach(h IN LISTS _coreio_public_headers)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${h})
  string(MAKE_C_IDENTIFIER ${rel} id)
  set(src ${CMAKE_BINARY_DIR}/check_headers/${id}.cpp)
  file(CONFIGURE OUTPUT ${src} CONTENT "#include \"${h}\"\n")
  list(APPEND _check_sources ${src})
endforeach()
add_library(coreio_check_headers OBJECT EXCLUDE_FROM_ALL ${_check_sources})
target_link_libraries(coreio_check_headers PRIVATE coreio::coreio $<TARGET_NAME_IF_EXISTS:coreio_mpi> coreio_private)
