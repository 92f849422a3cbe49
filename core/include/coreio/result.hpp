// Result<T>: one child's outcome, a value or the exception it ended with.
//
// What gather(return_exceptions, ...) returns per child, where asyncio puts
// either the result or the exception instance in its list. A cancelled child
// holds a CancelledError (asyncio places a CancelledError instance too).
//
// Thread safety: a Result is a plain value; distinct objects are independent,
// shared ones are safe for concurrent const use.
// Throws: value() rethrows the held exception (CancelledError included).
#pragma once

#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

#include "coreio/exceptions.hpp"

namespace coreio {

template <class T>
class Result {
public:
  /// The value held: T, or std::monostate for a void child.
  using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  /// A value outcome.
  explicit Result(value_type v) : v_(std::in_place_index<0>, std::move(v)) {}
  /// An exception outcome (must not be null).
  explicit Result(std::exception_ptr e) : v_(std::in_place_index<1>, std::move(e)) {}

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  [[nodiscard]] explicit operator bool() const noexcept { return has_value(); }

  /// The value, or rethrows the exception.
  value_type& value() & { return get(); }
  const value_type& value() const& { return const_cast<Result&>(*this).get(); }
  value_type&& value() && { return std::move(get()); }

  /// The exception, or nullptr for a value.
  [[nodiscard]] std::exception_ptr exception() const noexcept {
    return has_value() ? nullptr : std::get<1>(v_);
  }
  /// True if the child was cancelled (the exception is a CancelledError).
  [[nodiscard]] bool cancelled() const noexcept { return holds<CancelledError>(); }

  /// True if the exception is an E (or derived from E).
  template <class E>
  [[nodiscard]] bool holds() const noexcept {
    return get_if<E>() != nullptr;
  }
  /// The exception as an E, or nullptr. The pointer lives as long as this Result.
  template <class E>
  [[nodiscard]] const E* get_if() const noexcept {
    if (has_value()) return nullptr;
    try {
      std::rethrow_exception(std::get<1>(v_));
    } catch (const E& e) {
      // The exception object is owned by the exception_ptr we hold, so its
      // address stays valid after the handler ends.
      return &e;
    } catch (...) {
      return nullptr; // some other type
    }
  }

private:
  value_type& get() {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }

  std::variant<value_type, std::exception_ptr> v_;
};

} // namespace coreio
