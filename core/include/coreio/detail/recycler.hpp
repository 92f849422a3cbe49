// Recycling allocation for the runtime's small, hot objects (task states,
// callback handles). The design rule (docs/architecture.md, "Tasks are
// fibers"): recycle stacks and task records and never hand them back to the
// OS on the hot path.
//
// Size classes of 16 bytes up to 1 KiB. Each thread keeps a free list per
// class (bounded; the surplus goes to a global list in batches), so a task
// allocated on one loop and freed on another costs a pointer push, not a trip
// through malloc's consolidation (which was ~20% of spawn's instructions).
// Fresh nodes are carved from 2 MiB chunks the recycler maps itself, advised
// as transparent huge pages (core/src/fiber/recycler.cpp says why). Nodes are
// 16-byte aligned: over-aligned types must not use it. Larger objects use
// ::operator new. In ASan builds everything goes straight to ::operator
// new/delete, so a use-after-free of a task is still caught.
#pragma once

#include <cstddef>

namespace coreio::detail::recycler {

/// Memory for an object of `size` bytes (rounded up to a multiple of 16, 16-byte aligned).
[[nodiscard]] void* allocate(std::size_t size);
/// Gives back memory from allocate(size) with the same size.
void deallocate(void* p, std::size_t size) noexcept;

} // namespace coreio::detail::recycler
