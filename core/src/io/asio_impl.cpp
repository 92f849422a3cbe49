// Boost.Asio is compiled once, here (BOOST_ASIO_SEPARATE_COMPILATION is a
// PUBLIC definition of coreio_core), instead of in every translation unit.
#include <boost/asio/impl/src.hpp>
