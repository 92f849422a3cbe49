// ThreadPoolExecutor (thread_pool_executor.hpp): a ThreadPool without keep-alive.
#include "coreio/thread_pool_executor.hpp"

#include <algorithm>
#include <thread>

#include "pools/thread_pool.hpp"

namespace coreio {

namespace {
std::size_t resolve_workers(std::optional<std::size_t> n) {
  if (n) {
    if (*n == 0) throw ValueError("max_workers must be greater than 0");
    return *n;
  }
  return std::min<std::size_t>(32, std::thread::hardware_concurrency() + 4);
}
} // namespace

ThreadPoolExecutor::ThreadPoolExecutor(std::optional<std::size_t> max_workers, std::string thread_name_prefix)
    : max_workers_(resolve_workers(max_workers)),
      pool_(std::make_unique<detail::ThreadPool>(detail::ThreadPool::Options{
          .max_threads = max_workers_,
          .keep_alive = std::nullopt,
          .thread_name = thread_name_prefix.empty() ? std::string("ThreadPoolExec") : std::move(thread_name_prefix),
          .shutdown_message = "cannot schedule new futures after shutdown"})) {}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(true, false); }

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) { pool_->shutdown(wait, cancel_futures); }

std::size_t ThreadPoolExecutor::num_threads() const { return pool_->num_threads(); }

void ThreadPoolExecutor::execute(detail::ExecutorJob job) { pool_->execute(std::move(job)); }

} // namespace coreio
