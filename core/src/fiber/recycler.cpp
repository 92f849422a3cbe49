// The small-object recycler (coreio/detail/recycler.hpp): task records and
// callback handles.
//
// # Layout
//  - Size classes of `granule` (16) bytes up to `max_small` (1 KiB): a task
//    record of 272 bytes costs 272, not the 64-byte class's 320 plus
//    malloc's 16-byte header.
//  - Each thread keeps a free list per class (at most `cache_max` nodes; the
//    surplus goes to the shared reservoir in batches), so a record allocated
//    on one loop and freed on another costs a pointer push.
//  - A miss in both carves a new node from the thread's current *chunk*
//    (`chunk_bytes`, 2 MiB) with a bump pointer. Chunks come from regions
//    the recycler maps itself (`region_bytes` of address space at a time,
//    2 MiB-aligned, MAP_NORESERVE) and marks MADV_HUGEPAGE.
//
// # Why not malloc
// Spawning a million tasks used to take its records from glibc's per-thread
// arena, which grows its heap a page at a time with mprotect(): one syscall
// and one page fault per ten tasks, 62% of spawn's samples in the kernel
// (PROFILE.md). A chunk that the kernel backs with one transparent huge page
// costs one fault per 2 MiB instead of 512. Where THP is off ("never") the
// advice is ignored and chunks fault per 4 KiB page, still without mprotect.
//
// # Never handed back
// Nothing here is returned to the OS while the process lives (on a VM freed
// memory is reclaimed by the host and costs a fault again: DESIGN.md). A
// thread that exits hands its free lists and the unused tail of its chunk to
// the reservoir, so programs that create and destroy many runtimes (the test
// suite creates hundreds) reuse that memory instead of mapping more.
//
// In ASan builds everything goes straight to ::operator new/delete, so a
// use-after-free of a task is still caught; in TSan builds fresh nodes come
// from ::operator new (carve() says why), recycled ones from the lists.
#include "coreio/detail/recycler.hpp"

#include <sys/mman.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#include "coreio/detail/spin_lock.hpp"

namespace coreio::detail::recycler {

namespace {

constexpr std::size_t granule = 16;
constexpr std::size_t max_small = 1024;
constexpr std::size_t classes = max_small / granule;
constexpr std::uint32_t cache_max = 256; // per class and thread
constexpr std::uint32_t batch = cache_max / 2;
constexpr std::size_t chunk_bytes = std::size_t{2} << 20; // one transparent huge page
constexpr std::size_t region_bytes = std::size_t{64} << 20; // address space mapped at a time

struct FreeNode {
  FreeNode* next;
};

/// A run of fresh memory carved front to back.
struct Chunk {
  char* next = nullptr;
  char* end = nullptr;
};

/// The shared reservoir: one free list per class, each under its own lock,
/// and the chunk source.
struct Global {
  struct alignas(64) List {
    SpinLock mu;
    FreeNode* head = nullptr;
  };
  std::array<List, classes> lists;

  std::mutex chunk_mu;
  Chunk region; ///< the rest of the newest region (chunk_mu)
  std::vector<Chunk> partials; ///< tails of chunks left by exited threads (chunk_mu)

  /// A chunk for a thread that used up its own.
  Chunk take_chunk() {
    std::lock_guard g(chunk_mu);
    if (!partials.empty()) {
      Chunk c = partials.back();
      partials.pop_back();
      return c;
    }
    if (region.next == region.end) region = map_region();
    Chunk c{region.next, region.next + chunk_bytes};
    region.next += chunk_bytes;
    return c;
  }

  void give_back_chunk(Chunk c) {
    if (static_cast<std::size_t>(c.end - c.next) < max_small) return; // too small to matter
    std::lock_guard g(chunk_mu);
    partials.push_back(c);
  }

  /// Maps `region_bytes` of address space aligned to a huge page. Only the
  /// pages a chunk touches become resident (MAP_NORESERVE).
  static Chunk map_region() {
    const std::size_t len = region_bytes + chunk_bytes;
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const auto raw = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = (raw + chunk_bytes - 1) & ~(std::uintptr_t{chunk_bytes} - 1);
    // Trim the unaligned head and the tail so the region is exactly aligned.
    if (aligned > raw) ::munmap(p, aligned - raw);
    const std::uintptr_t tail = aligned + region_bytes;
    if (raw + len > tail) ::munmap(reinterpret_cast<void*>(tail), raw + len - tail);
    auto* base = reinterpret_cast<char*>(aligned);
    // Advice only: ignored where THP is off; a failure changes nothing else.
    (void)::madvise(base, region_bytes, MADV_HUGEPAGE);
    return Chunk{base, base + region_bytes};
  }
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
  Chunk chunk;

  ~Cache() {
    for (std::size_t c = 0; c < classes; ++c)
      if (heads[c]) give_back(c, counts[c]);
    global().give_back_chunk(chunk);
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

  /// A fresh node of `bytes` from this thread's chunk.
  void* carve(std::size_t bytes) {
#if defined(COREIO_TSAN)
    // ThreadSanitizer keeps shadow state for every byte the program maps;
    // recycling huge-page chunks through it made a million-task stress test
    // spend minutes in the kernel. Its own allocator serves TSan builds.
    return ::operator new(bytes);
#endif
    if (static_cast<std::size_t>(chunk.end - chunk.next) < bytes) {
      global().give_back_chunk(chunk);
      chunk = global().take_chunk();
    }
    void* p = chunk.next;
    chunk.next += bytes;
    return p;
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
  if (size == 0 || size > max_small) return ::operator new(size);
  const std::size_t c = (size - 1) / granule;
  Cache& cache_ = cache();
  if (!cache_.heads[c] && !cache_.refill(c)) return cache_.carve((c + 1) * granule);
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
  if (size == 0 || size > max_small) {
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
