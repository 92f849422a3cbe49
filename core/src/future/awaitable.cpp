// The non-template helpers of the composition functions (detail/awaitable.hpp).
#include "coreio/detail/awaitable.hpp"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace coreio::detail {

namespace {
/// Positions ordered by state, equal states in position order (stable).
std::vector<std::size_t> order_by_state(std::span<FutureStateBase* const> states) {
  std::vector<std::size_t> order(states.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return states[a] < states[b]; });
  return order;
}
} // namespace

std::vector<bool> first_occurrences(std::span<FutureStateBase* const> states) {
  const std::vector<std::size_t> order = order_by_state(states);
  std::vector<bool> first(states.size(), true);
  for (std::size_t k = 1; k < order.size(); ++k)
    if (states[order[k]] == states[order[k - 1]]) first[order[k]] = false;
  return first;
}

std::vector<bool> unique_positions(std::span<FutureStateBase* const> states) {
  const std::vector<std::size_t> order = order_by_state(states);
  std::vector<bool> unique(states.size(), true);
  for (std::size_t k = 1; k < order.size(); ++k)
    if (states[order[k]] == states[order[k - 1]]) unique[order[k]] = unique[order[k - 1]] = false;
  return unique;
}

std::exception_ptr failure_of(FutureStateBase& f) {
  if (f.status() == Status::result) return nullptr;
  try {
    f.rethrow_if_failed();
  } catch (...) {
    // The exception (or the CancelledError of a cancelled future) is the outcome.
    return std::current_exception();
  }
  return nullptr;
}

} // namespace coreio::detail
