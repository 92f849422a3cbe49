// Helpers shared by the net/ tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "coreio/loop.hpp"
#include "coreio/net/server.hpp"
#include "coreio/runtime.hpp"

namespace coreio::testing {

/// Scale for the heavy tests: COREIO_NET_SCALE (percent, default 100).
/// Sanitizer runs set it lower.
inline std::size_t net_scale(std::size_t full) {
  if (const char* env = std::getenv("COREIO_NET_SCALE")) {
    const long pct = std::strtol(env, nullptr, 10);
    if (pct > 0 && pct <= 100) return std::max<std::size_t>(1, full * static_cast<std::size_t>(pct) / 100);
  }
  return full;
}

inline std::uint16_t port_of(const Server& s) { return s.sockets().at(0).port; }

/// Captures what reaches the exception handlers of every loop of the
/// running runtime, and restores the default handlers when it goes.
class CapturedErrors {
public:
  CapturedErrors() : rt_(&get_running_loop().runtime()) {
    for (std::size_t i = 0; i < rt_->num_loops(); ++i)
      rt_->loop(i).set_exception_handler([this](Loop&, const ExceptionContext& c) {
        std::lock_guard g(mu_);
        messages_.push_back(c.message);
      });
  }
  ~CapturedErrors() {
    for (std::size_t i = 0; i < rt_->num_loops(); ++i) rt_->loop(i).set_exception_handler(nullptr);
  }
  CapturedErrors(const CapturedErrors&) = delete;
  CapturedErrors& operator=(const CapturedErrors&) = delete;

  std::vector<std::string> messages() const {
    std::lock_guard g(mu_);
    return messages_;
  }
  std::size_t count(const std::string& message) const {
    std::lock_guard g(mu_);
    std::size_t n = 0;
    for (const auto& m : messages_) n += m == message;
    return n;
  }

private:
  Runtime* rt_;
  mutable std::mutex mu_;
  std::vector<std::string> messages_;
};

} // namespace coreio::testing
