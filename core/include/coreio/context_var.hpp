// ContextVar<T>: asyncio's contextvars, task-local.
//
// Each task carries an immutable context (a small map from variable to value)
// copied from its spawner at create_task: a child sees its parent's values,
// and its own set() calls never leak back (set() replaces the task's context
// with a modified copy). The context lives in the task, never in a
// thread_local, so it follows a task that migrates between loops. Code
// outside any task (a plain thread) has a per-thread context.
//
// Thread safety: get()/set() act on the calling task's context only.
// Throws: get() without a value or default throws LookupError.
#pragma once

#include <any>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace coreio {

class LookupError : public std::out_of_range {
public:
  using std::out_of_range::out_of_range;
};

namespace detail {

struct ContextData {
  std::vector<std::pair<const void*, std::shared_ptr<const std::any>>> vars;
  [[nodiscard]] const std::any* find(const void* key) const noexcept {
    for (const auto& [k, v] : vars)
      if (k == key) return v.get();
    return nullptr;
  }
};

/// The calling task's (or thread's) context; may be null (empty).
[[nodiscard]] const std::shared_ptr<const ContextData>& current_context() noexcept;
void set_current_context(std::shared_ptr<const ContextData> ctx) noexcept;

} // namespace detail

template <class T>
class ContextVar {
public:
  /// Restores a previous value with reset().
  struct Token {
    std::optional<T> old;
  };

  explicit ContextVar(std::string name, std::optional<T> default_value = std::nullopt)
      : name_(std::move(name)), default_(std::move(default_value)) {}
  ContextVar(const ContextVar&) = delete;
  ContextVar& operator=(const ContextVar&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  [[nodiscard]] T get() const {
    if (auto v = lookup()) return *v;
    if (default_) return *default_;
    throw LookupError("ContextVar '" + name_ + "' has no value");
  }
  [[nodiscard]] T get(T fallback) const {
    if (auto v = lookup()) return *v;
    return fallback;
  }

  Token set(T value) {
    Token tok{lookup()};
    assign(std::make_shared<const std::any>(std::move(value)));
    return tok;
  }
  void reset(Token tok) {
    if (tok.old) assign(std::make_shared<const std::any>(std::move(*tok.old)));
    else assign(nullptr);
  }

private:
  std::optional<T> lookup() const {
    const auto& ctx = detail::current_context();
    if (!ctx) return std::nullopt;
    const std::any* a = ctx->find(this);
    if (!a) return std::nullopt;
    return std::any_cast<const T&>(*a);
  }
  void assign(std::shared_ptr<const std::any> v) {
    auto next = std::make_shared<detail::ContextData>();
    if (const auto& cur = detail::current_context()) next->vars = cur->vars;
    std::erase_if(next->vars, [this](const auto& kv) { return kv.first == this; });
    if (v) next->vars.emplace_back(this, std::move(v));
    detail::set_current_context(std::move(next));
  }

  std::string name_;
  std::optional<T> default_;
};

} // namespace coreio
