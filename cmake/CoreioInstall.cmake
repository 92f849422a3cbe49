# find_package(coreio) support: installs the libraries, public headers and an
# exported target set (coreio::core, coreio::sync, coreio::net, coreio::coreio).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_coreio_targets coreio_core coreio)
foreach(t coreio_sync coreio_net)
  if(TARGET ${t})
    list(APPEND _coreio_targets ${t})
  endif()
endforeach()
install(TARGETS ${_coreio_targets} EXPORT coreioTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(dir core sync net)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${dir}/include/coreio)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/coreio DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endforeach()
install(EXPORT coreioTargets NAMESPACE coreio:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coreio)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/coreioConfig.cmake.in
  ${CMAKE_BINARY_DIR}/coreioConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coreio)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/coreioConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/coreioConfig.cmake ${CMAKE_BINARY_DIR}/coreioConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coreio)
