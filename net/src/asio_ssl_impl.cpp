// Boost.Asio SSL's separately compiled part (BOOST_ASIO_SEPARATE_COMPILATION is
// set by coreio_core, which compiles the rest of Asio in core/src/io/asio_impl.cpp;
// SSL lives here because only net links OpenSSL).
#include <boost/asio/ssl/impl/src.hpp>
