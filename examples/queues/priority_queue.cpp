// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §5.2.2 PriorityQueue
//
// The seed describes PriorityQueue without a program: the same methods as
// Queue, but get() returns the item with the smallest priority, usually a
// `(priority number, data)` tuple, the smallest number first (heapq order).
// Here a producer queues jobs with their priorities before the workers
// start, and two workers take them: the urgent ones come out first,
// whatever order they were put in. In C++ a std::pair<int, std::string>
// compares like Python's tuple (priority first, then the data).
#include <string>
#include <utility>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/queue.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;
using Job = std::pair<int, std::string>; // (priority number, data)

void producer(coreio::PriorityQueue<Job>& queue) {
  for (Job job : {Job{3, "rebuild search index"}, Job{1, "page the on-call engineer"}, Job{5, "send newsletter"},
                  Job{2, "renew TLS certificate"}, Job{1, "restart crashed service"}, Job{4, "rotate logs"}}) {
    fmt::print("put ({}, '{}')\n", job.first, job.second);
    queue.put(std::move(job));
  }
}

void worker(int id, coreio::PriorityQueue<Job>& queue) {
  while (true) {
    auto [priority, data] = queue.get();
    fmt::print("worker {} got ({}, '{}')\n", id, priority, data);
    coreio::sleep(sec(0.1));
    queue.task_done();
  }
}

int main() {
  coreio::run(
      [] {
        coreio::PriorityQueue<Job> queue;
        coreio::create_task([&queue] { producer(queue); }).get();
        std::vector<coreio::Task<void>> workers;
        for (int id = 1; id <= 2; ++id) workers.push_back(coreio::create_task([id, &queue] { worker(id, queue); }));
        queue.join();
        for (auto& w : workers) w.cancel();
        coreio::gather(coreio::return_exceptions, workers);
        fmt::print("all jobs done\n");
      },
      examples::shape());
}
