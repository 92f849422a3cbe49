#include "coreio/detail/recycler.hpp"

#include <array>
#include <cstdint>
#include <new>

#include "coreio/detail/spin_lock.hpp"

namespace coreio::detail::recycler {

namespace {

constexpr std::size_t granule = 64;
constexpr std::size_t classes = 16; // up to 1 KiB
constexpr std::uint32_t cache_max = 256; // per class and thread
constexpr std::uint32_t batch = cache_max / 2;

struct FreeNode {
  FreeNode* next;
};

/// The shared reservoir: one list per class, each under its own lock.
struct Global {
  struct alignas(64) List {
    SpinLock mu;
    FreeNode* head = nullptr;
  };
  std::array<List, classes> lists;
};

Global& global() noexcept {
  // Never destroyed: thread caches flush into it at thread exit, which may
  // come after static destructors of this translation unit would have run.
  static Global* g = new Global();
  return *g;
}

struct Cache {
  std::array<FreeNode*, classes> heads{};
  std::array<std::uint32_t, classes> counts{};

  ~Cache() {
    for (std::size_t c = 0; c < classes; ++c)
      if (heads[c]) give_back(c, counts[c]);
  }

  /// Moves `n` nodes of class c to the global list.
  void give_back(std::size_t c, std::uint32_t n) noexcept {
    FreeNode* first = heads[c];
    FreeNode* last = first;
    for (std::uint32_t i = 1; i < n && last->next; ++i) last = last->next;
    heads[c] = last->next;
    counts[c] -= n;
    auto& list = global().lists[c];
    std::lock_guard g(list.mu);
    last->next = list.head;
    list.head = first;
  }

  /// Takes up to `batch` nodes of class c from the global list.
  bool refill(std::size_t c) noexcept {
    auto& list = global().lists[c];
    std::lock_guard g(list.mu);
    FreeNode* n = list.head;
    if (!n) return false;
    std::uint32_t k = 1;
    FreeNode* last = n;
    while (k < batch && last->next) {
      last = last->next;
      ++k;
    }
    list.head = last->next;
    last->next = heads[c];
    heads[c] = n;
    counts[c] += k;
    return true;
  }
};

// Not inlined: a fiber may call allocate() on one thread and, after a
// suspension, on another; each call must find the cache of the thread it runs
// on now (docs/architecture.md, "Tasks are fibers").
[[gnu::noinline, maybe_unused]] Cache& cache() noexcept { // unused under COREIO_ASAN
  thread_local Cache c;
  return c;
}

} // namespace

void* allocate(std::size_t size) {
#if defined(COREIO_ASAN)
  return ::operator new(size);
#else
  if (size == 0 || size > granule * classes) return ::operator new(size);
  const std::size_t c = (size - 1) / granule;
  Cache& cache_ = cache();
  if (!cache_.heads[c] && !cache_.refill(c)) return ::operator new((c + 1) * granule);
  FreeNode* n = cache_.heads[c];
  cache_.heads[c] = n->next;
  --cache_.counts[c];
  return n;
#endif
}

void deallocate(void* p, std::size_t size) noexcept {
#if defined(COREIO_ASAN)
  ::operator delete(p);
  (void)size;
#else
  if (size == 0 || size > granule * classes) {
    ::operator delete(p);
    return;
  }
  const std::size_t c = (size - 1) / granule;
  Cache& cache_ = cache();
  auto* n = static_cast<FreeNode*>(p);
  n->next = cache_.heads[c];
  cache_.heads[c] = n;
  if (++cache_.counts[c] > cache_max) cache_.give_back(c, batch);
#endif
}

} // namespace coreio::detail::recycler
