// coreio's exception hierarchy: asyncio's, name for name (API.md "Exceptions").
//
// CancelledError deliberately does NOT derive from std::exception, just as
// Python's CancelledError derives from BaseException and not Exception: a
// `catch (const std::exception&)` in user code must not swallow cancellation.
// Catch it by name, clean up, and rethrow.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace coreio {

/// Raised inside a task at its suspension point when the task is cancelled.
/// Not a std::exception (see the file comment). what() carries the cancel message.
class CancelledError {
public:
  CancelledError() = default;
  explicit CancelledError(std::string msg) : msg_(std::move(msg)) {}
  [[nodiscard]] const char* what() const noexcept { return msg_.c_str(); }
  [[nodiscard]] const std::string& message() const noexcept { return msg_; }

private:
  std::string msg_;
};

/// asyncio.TimeoutError (the builtin TimeoutError since 3.11).
class TimeoutError : public std::runtime_error {
public:
  TimeoutError() : std::runtime_error("timed out") {}
  using std::runtime_error::runtime_error;
};

/// The operation is not allowed in the object's current state
/// (e.g. result() on a pending Future, set_result() on a done one).
class InvalidStateError : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

/// Python's RuntimeError where asyncio raises it: a closed loop, run() inside a
/// running loop, releasing an unlocked Lock, a TaskGroup used after it ended.
class RuntimeError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Python's ValueError where asyncio raises it (negative Semaphore value,
/// Barrier parties < 1, task_done() called too often, ...).
class ValueError : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

/// PEP 654 exception group, raised by TaskGroup with every child failure.
///
/// Holds exception_ptrs (CancelledError included, although it is not a
/// std::exception). `split<E>()` gives the part matching E and the rest, the
/// C++ shape of `except* E`; nested groups are searched recursively.
class ExceptionGroup : public std::runtime_error {
public:
  ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions)
      : std::runtime_error(std::move(message)), exceptions_(std::move(exceptions)) {}

  [[nodiscard]] const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

  /// Every leaf exception whose dynamic type is E (recursing into nested groups).
  template <class E>
  [[nodiscard]] std::vector<std::exception_ptr> leaves_of() const {
    std::vector<std::exception_ptr> out;
    collect<E>(exceptions_, out);
    return out;
  }

  /// True if any leaf is an E.
  template <class E>
  [[nodiscard]] bool contains() const { return !leaves_of<E>().empty(); }

  /// except*-style split (PEP 654 BaseExceptionGroup.split): {the group of
  /// the E leaves or nullptr, the group of the rest or nullptr}. Nested
  /// groups are split too, keeping their structure and messages, so
  /// `auto [mine, rest] = eg.split<E>(); if (rest) std::rethrow_exception(rest);`
  /// is `except* E`.
  template <class E>
  [[nodiscard]] std::pair<std::exception_ptr, std::exception_ptr> split() const {
    if constexpr (std::is_base_of_v<E, ExceptionGroup>) return {std::make_exception_ptr(*this), nullptr};
    else return split_if([](const std::exception_ptr& e) { return matches<E>(e); });
  }

  /// split() by a predicate on the leaves (exception_ptr -> bool).
  template <class Pred>
  [[nodiscard]] std::pair<std::exception_ptr, std::exception_ptr> split_if(Pred pred) const {
    std::vector<std::exception_ptr> match, rest;
    for (const auto& e : exceptions_) {
      if (const ExceptionGroup* nested = as_group(e)) {
        auto [m, r] = nested->split_if(pred);
        if (m) match.push_back(std::move(m));
        if (r) rest.push_back(std::move(r));
      } else if (pred(e)) {
        match.push_back(e);
      } else {
        rest.push_back(e);
      }
    }
    auto group = [this](std::vector<std::exception_ptr> v) -> std::exception_ptr {
      if (v.empty()) return nullptr;
      return std::make_exception_ptr(ExceptionGroup(what(), std::move(v)));
    };
    return {group(std::move(match)), group(std::move(rest))};
  }

  /// PEP 654 subgroup: the E part of split(), or nullptr.
  template <class E>
  [[nodiscard]] std::exception_ptr subgroup() const {
    return split<E>().first;
  }

  /// The message given at construction (Python's eg.message).
  [[nodiscard]] const char* message() const noexcept { return what(); }

private:
  /// The group `e` holds, or nullptr; valid while `e` lives.
  static const ExceptionGroup* as_group(const std::exception_ptr& e) noexcept {
    try {
      std::rethrow_exception(e);
    } catch (const ExceptionGroup& g) {
      return &g;
    } catch (...) {
      return nullptr; // a leaf
    }
  }
  template <class E>
  static bool matches(const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const E&) {
      return true;
    } catch (...) {
      return false;
    }
  }
  template <class E>
  static void collect(const std::vector<std::exception_ptr>& in, std::vector<std::exception_ptr>& out) {
    for (const auto& e : in) {
      try {
        std::rethrow_exception(e);
      } catch (const ExceptionGroup& g) {
        if constexpr (std::is_base_of_v<E, ExceptionGroup>) out.push_back(e);
        else collect<E>(g.exceptions(), out);
      } catch (const E&) {
        out.push_back(e);
      } catch (...) {
        // Not an E: left out of this selection by design.
        continue;
      }
    }
  }

  std::vector<std::exception_ptr> exceptions_;
};

/// concurrent.futures.BrokenExecutor: the executor (or the worker that had
/// the call) can no longer run it - a worker process or MPI rank died.
class BrokenExecutor : public RuntimeError {
public:
  using RuntimeError::RuntimeError;
};

/// A worker process of a ProcessPoolExecutor died while running the call.
class BrokenProcessPool : public BrokenExecutor {
public:
  using BrokenExecutor::BrokenExecutor;
};

} // namespace coreio
