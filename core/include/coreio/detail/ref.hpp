// Intrusive reference counting for runtime objects shared across threads
// (task states, future states, handles). One atomic counter in the object,
// no control block: a Ref is one pointer.
#pragma once

#include "coreio/detail/config.hpp"

#include <atomic>
#include <cstdint>
#include <utility>

namespace coreio::detail {

/// Base for intrusively counted objects. Starts at 1 (the creator's reference).
class RefCounted {
public:
  RefCounted() = default;
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;

  void add_ref() const noexcept {
    // Relaxed: a new reference is made from an existing one, so the object is
    // already visible to this thread; nothing is published by the increment.
    refs_.fetch_add(1, std::memory_order_relaxed);
  }
  void release() const noexcept {
    // AcqRel: the Release half orders our writes to the object before its
    // destruction; the Acquire half, on the thread that drops the last
    // reference, sees everyone's writes before it destroys. (A release
    // decrement plus an acquire fence would do, but TSan does not model
    // fences, and on x86 the RMW is the same instruction either way.)
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }
  [[nodiscard]] std::uint32_t ref_count() const noexcept { return refs_.load(std::memory_order_relaxed); }

protected:
  virtual ~RefCounted() = default;
  /// Called when the last reference goes; default deletes.
  virtual void destroy() const noexcept { delete this; }

private:
  mutable std::atomic<std::uint32_t> refs_{1};
};

/// Owning pointer to a RefCounted object.
template <class T>
class Ref {
public:
  Ref() noexcept = default;
  /// Adopts a reference the caller already holds (e.g. a fresh `new T`).
  static Ref adopt(T* p) noexcept { Ref r; r.p_ = p; return r; }
  /// Takes a new reference to p.
  static Ref share(T* p) noexcept { if (p) p->add_ref(); return adopt(p); }

  Ref(const Ref& o) noexcept : p_(o.p_) { if (p_) p_->add_ref(); }
  Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  template <class U>
    requires std::is_convertible_v<U*, T*>
  Ref(Ref<U>&& o) noexcept : p_(o.detach()) {}
  template <class U>
    requires std::is_convertible_v<U*, T*>
  Ref(const Ref<U>& o) noexcept : p_(o.get()) { if (p_) p_->add_ref(); }
  Ref& operator=(Ref o) noexcept { std::swap(p_, o.p_); return *this; }
  ~Ref() { if (p_) p_->release(); }

  [[nodiscard]] T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  /// Gives up ownership without releasing.
  [[nodiscard]] T* detach() noexcept { return std::exchange(p_, nullptr); }
  void reset() noexcept { Ref().swap(*this); }
  void swap(Ref& o) noexcept { std::swap(p_, o.p_); }
  friend bool operator==(const Ref& a, const Ref& b) noexcept { return a.p_ == b.p_; }

private:
  T* p_ = nullptr;
};

} // namespace coreio::detail
