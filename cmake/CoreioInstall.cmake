# find_package(coreio) support: installs the libraries, the public headers, an
# exported target set (coreio::core, coreio::sync, coreio::net and the umbrella
# coreio::coreio), a pkg-config file (coreio.pc) for non-CMake builds, and the
# CPack settings for `cpack -G DEB`.
#
# What a consumer inherits (INTERFACE of coreio::core, also in coreio.pc):
#   C++23 (cxx_std_23), BOOST_ASIO_SEPARATE_COMPILATION (Asio's compiled part
#   lives in libcoreio_core; a consumer must not compile it a second time) and
#   BOOST_ASIO_NO_DEPRECATED. See README "Using the installed package".
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS coreio_core coreio_sync coreio_net coreio EXPORT coreioTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(dir core sync net)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/coreio DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(EXPORT coreioTargets NAMESPACE coreio:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coreio)

# The config needs liburing only where the consumer links it: with static
# libraries (libcoreio_core.a references io_uring_*), not with shared ones.
if(BUILD_SHARED_LIBS)
  set(COREIO_CONFIG_NEEDS_LIBURING OFF)
else()
  set(COREIO_CONFIG_NEEDS_LIBURING ON)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/coreioConfig.cmake.in
  ${CMAKE_BINARY_DIR}/coreioConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coreio)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/coreioConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/coreioConfig.cmake ${CMAKE_BINARY_DIR}/coreioConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/coreio)

# pkg-config: `c++ app.cpp $(pkg-config --cflags --libs coreio)`. Boost ships
# no .pc file, so Boost.Context is named by its library. With static libraries
# liburing is a public requirement (see above); with shared ones a private one.
if(BUILD_SHARED_LIBS)
  set(COREIO_PC_REQUIRES "spdlog fmt openssl")
  set(COREIO_PC_REQUIRES_PRIVATE "liburing")
else()
  set(COREIO_PC_REQUIRES "spdlog fmt openssl liburing")
  set(COREIO_PC_REQUIRES_PRIVATE "")
endif()
# The prefix is found from the .pc file's own place, so the file is right
# wherever the tree is installed (cmake --install --prefix, or /usr from the .deb).
file(RELATIVE_PATH COREIO_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" COREIO_PC_TO_PREFIX "${COREIO_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/coreio.pc.in ${CMAKE_BINARY_DIR}/coreio.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/coreio.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# CPack: `cpack -G DEB` in a build directory makes libcoreio-dev_<version>_<arch>.deb,
# installing under /usr (headers, libraries, CMake config, coreio.pc).
# scripts/check_deb.sh builds it, installs it, builds a consumer against /usr
# and removes it again.
set(CPACK_PACKAGE_NAME "libcoreio-dev")
set(CPACK_PACKAGE_VENDOR "coreio")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "coreio: asyncio for C++23 on every core (headers, libraries, CMake config)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "coreio maintainers")
set(CPACK_DEBIAN_PACKAGE_SECTION "libdevel")
# What a consumer of the installed config needs (coreioConfig.cmake finds each).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libboost1.81-dev, libboost-context1.81-dev, libspdlog-dev, libfmt-dev, libssl-dev, libcereal-dev, liburing-dev, libgcc-12-dev, pkg-config")
include(CPack)
