#include "coreio/net/address.hpp"

namespace coreio {

std::string Address::to_string() const {
  if (family == AF_UNIX) return host;
  if (family == AF_INET6) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

} // namespace coreio
