// The task registry behind all_tasks(): every live task, in intrusive lists
// sharded by the loop that spawned it (one more shard for foreign threads),
// each behind its own spin lock. The registry holds the runtime's reference
// to a task from spawn until its body ends (task_base.hpp).
#include <mutex>

#include "runtime/runtime_impl.hpp"

namespace coreio::detail {

void RuntimeImpl::register_task(TaskBase* t) {
  t->add_ref(); // the runtime's reference (task_base.hpp)
  LoopImpl* here = current_loop();
  const std::size_t shard = here && &here->runtime() == this ? here->index() : loops_.size();
  t->reg_shard_ = static_cast<std::uint32_t>(shard);
  Shard& s = shards_[shard];
  std::lock_guard g(s.mu);
  t->reg_prev_ = nullptr;
  t->reg_next_ = s.head;
  if (s.head) s.head->reg_prev_ = t;
  s.head = t;
  live_tasks_.fetch_add(1, std::memory_order_relaxed);
}

void RuntimeImpl::unregister_task(TaskBase* t) {
  {
    Shard& s = shards_[t->reg_shard_];
    std::lock_guard g(s.mu);
    (t->reg_prev_ ? t->reg_prev_->reg_next_ : s.head) = t->reg_next_;
    if (t->reg_next_) t->reg_next_->reg_prev_ = t->reg_prev_;
    t->reg_prev_ = t->reg_next_ = nullptr;
  }
  live_tasks_.fetch_sub(1, std::memory_order_relaxed);
  t->release();
}

std::vector<TaskHandle> RuntimeImpl::all_tasks() {
  std::vector<TaskHandle> out;
  for (Shard& s : shards_) {
    std::lock_guard g(s.mu);
    for (TaskBase* t = s.head; t; t = t->reg_next_)
      if (!t->done()) out.emplace_back(Ref<FutureStateBase>::share(t));
  }
  return out;
}

} // namespace coreio::detail
