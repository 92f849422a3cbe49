// Injector (injector.hpp).
#include "sched/injector.hpp"

namespace coreio::detail {

void Injector::push_batch(TaskBase* first, TaskBase* last, std::size_t n) {
  std::lock_guard g(mu_);
  if (tail_) tail_->qnext_ = first;
  else head_ = first;
  tail_ = last;
  last->qnext_ = nullptr;
  // SeqCst: read by park()'s final check; see idle.hpp rule 4.
  size_.fetch_add(n, std::memory_order_seq_cst);
}

std::size_t Injector::pop_batch(TaskBase*& first, std::size_t max) {
  first = nullptr;
  if (max == 0) return 0;
  std::lock_guard g(mu_);
  std::size_t n = 0;
  TaskBase* last = nullptr;
  for (TaskBase* t = head_; t && n < max; t = static_cast<TaskBase*>(t->qnext_)) {
    last = t;
    ++n;
  }
  if (!n) return 0;
  first = head_;
  head_ = static_cast<TaskBase*>(last->qnext_);
  if (!head_) tail_ = nullptr;
  last->qnext_ = nullptr;
  size_.fetch_sub(n, std::memory_order_seq_cst); // SeqCst: as in push_batch()
  return n;
}

} // namespace coreio::detail
