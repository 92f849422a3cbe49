// Beyond asyncio: coreio's channels and Notify (no seed; Tokio's sync module).
//
// A worker serves square-number requests that clients on any loop send it
// through a bounded mpsc channel; each request carries a oneshot channel for
// its reply. The worker publishes how many jobs it has served on a watch
// channel, and a watcher waits for the count it cares about. A Notify tells
// main the worker is up, and a broadcast channel tells every listener that
// the service is shutting down. Dropping the last mpsc Sender ends the
// worker's receive loop.
//
// Every type here works across loops: run it with COREIO_LOOPS=1 (asyncio's
// single loop) or more loops, with or without stealing.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/sync/broadcast.hpp>
#include <coreio/sync/mpsc.hpp>
#include <coreio/sync/notify.hpp>
#include <coreio/sync/oneshot.hpp>
#include <coreio/sync/watch.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

struct Job {
  int n;
  coreio::oneshot::Sender<long> reply;
};

void worker(coreio::mpsc::Receiver<Job> jobs, coreio::watch::Sender<int> served, coreio::Notify& ready) {
  fmt::print("worker: ready\n");
  ready.notify_one(); // stored as a permit if main is not waiting yet
  int count = 0;
  while (std::optional<Job> job = jobs.recv()) {
    coreio::sleep(sec(0.05)); // the work
    job->reply.send(static_cast<long>(job->n) * job->n);
    served.send(++count);
  }
  fmt::print("worker: every sender is gone, served {} jobs\n", count);
}

void client(int id, coreio::mpsc::Sender<Job> jobs) {
  for (int k = 1; k <= 2; ++k) {
    const int n = id * 10 + k;
    auto [reply_tx, reply_rx] = coreio::oneshot::channel<long>();
    jobs.send(Job{n, std::move(reply_tx)});
    fmt::print("client {}: {} squared is {}\n", id, n, reply_rx.recv());
  }
}

void listener(int id, coreio::broadcast::Receiver<std::string> news) {
  while (std::optional<std::string> message = news.recv()) fmt::print("listener {} heard: {}\n", id, *message);
}

void main_task() {
  coreio::Notify ready;
  auto [jobs_tx, jobs_rx] = coreio::mpsc::channel<Job>(2);
  auto [served_tx, served_rx] = coreio::watch::channel<int>(0);
  auto [news_tx, news_rx] = coreio::broadcast::channel<std::string>(4);

  auto server = coreio::create_task([&, jobs_rx = std::move(jobs_rx), served_tx = std::move(served_tx)]() mutable {
    worker(std::move(jobs_rx), std::move(served_tx), ready);
  });
  ready.notified();
  fmt::print("main: the worker is up\n");

  auto watcher = coreio::create_task([rx = served_rx] {
    auto progress = rx;
    int n = *progress.wait_for([](int served) { return served >= 6; });
    fmt::print("watcher: {} jobs served\n", n);
  });
  std::vector<coreio::Task<void>> listeners;
  listeners.push_back(coreio::create_task([rx = std::move(news_rx)]() mutable { listener(1, std::move(rx)); }));
  listeners.push_back(coreio::create_task([rx = news_tx.subscribe()]() mutable { listener(2, std::move(rx)); }));

  std::vector<coreio::Task<void>> clients;
  for (int id = 1; id <= 3; ++id) clients.push_back(coreio::create_task([id, tx = jobs_tx] { client(id, tx); }));
  { auto last = std::move(jobs_tx); } // the clients hold the remaining senders
  coreio::wait(clients);
  watcher.get();

  news_tx.send(std::string("shutting down"));
  { auto closed = std::move(news_tx); } // listeners end after the news
  coreio::wait(listeners);
  server.get();
  fmt::print("main: done\n");
}

int main() { coreio::run(main_task, examples::shape()); }
