#include "coreio/process_pool_executor.hpp"

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "process_probe.hpp"

using namespace std::chrono_literals;

using coreio::testing::open_fds;
using coreio::testing::children;

namespace {

// The seed's compute_some_thing: math.sqrt over a list, in another process.
std::vector<double> compute_some_thing(std::vector<int> numbers) {
  std::vector<double> out;
  for (int n : numbers) out.push_back(std::sqrt(double(n)));
  return out;
}
COREIO_REGISTER_PROCESS_FUNCTION(compute_some_thing);

int worker_pid() { return static_cast<int>(::getpid()); }
COREIO_REGISTER_PROCESS_FUNCTION(worker_pid);

int sleep_then_pid(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return static_cast<int>(::getpid());
}
COREIO_REGISTER_PROCESS_FUNCTION(sleep_then_pid);

// Creates `marker` (so the test knows the call is running in the worker),
// then sleeps.
int mark_then_sleep(std::string marker, int ms) {
  std::ofstream(marker) << ::getpid();
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return static_cast<int>(::getpid());
}
COREIO_REGISTER_PROCESS_FUNCTION(mark_then_sleep);

std::string throws_in_worker(std::string what) { throw std::invalid_argument(what); }
COREIO_REGISTER_PROCESS_FUNCTION(throws_in_worker);

int crash(int how) {
  if (how == 0) ::_exit(3);
  ::raise(SIGKILL);
  return 0;
}
COREIO_REGISTER_PROCESS_FUNCTION(crash);

std::map<std::string, int> word_lengths(std::vector<std::string> words, int bonus) {
  std::map<std::string, int> out;
  for (auto& w : words) out[w] = int(w.size()) + bonus;
  return out;
}
COREIO_REGISTER_PROCESS_FUNCTION(word_lengths);

void nothing() {}
COREIO_REGISTER_PROCESS_FUNCTION(nothing);

std::string echo_big(std::string s) { return s + "!"; }
COREIO_REGISTER_PROCESS_FUNCTION(echo_big);

int not_registered(int x) { return x; }

/// A fresh marker path (removed if it exists).
std::string marker_path(const char* tag) {
  std::string p = "/tmp/coreio-test-" + std::to_string(::getpid()) + "-" + tag;
  ::unlink(p.c_str());
  return p;
}

/// Waits (bounded: 10 s) until mark_then_sleep created the marker.
bool wait_for_marker(const std::string& p) {
  for (int i = 0; i < 10'000; ++i) {
    if (::access(p.c_str(), F_OK) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

} // namespace

TEST_SUITE("ProcessPoolExecutor") {

COREIO_TEST_CASE("the seed's sqrt example runs in a worker process through run_in_executor") {
  std::vector<double> result;
  {
    coreio::ProcessPoolExecutor pool;
    std::vector<int> numbers;
    for (int i = 0; i < 10; ++i) numbers.push_back(i);
    result = coreio::get_running_loop().run_in_executor(&pool, compute_some_thing, numbers).get();
  }
  REQUIRE(result.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(result[i] == doctest::Approx(std::sqrt(double(i))));
}

COREIO_TEST_CASE("calls run in other processes and containers cross both ways") {
  coreio::ProcessPoolExecutor pool(2);
  auto& loop = coreio::get_running_loop();
  CHECK(loop.run_in_executor(&pool, worker_pid).get() != static_cast<int>(::getpid()));
  auto m = loop.run_in_executor(&pool, word_lengths, std::vector<std::string>{"a", "abc"}, 1).get();
  CHECK(m == std::map<std::string, int>{{"a", 2}, {"abc", 4}});
  loop.run_in_executor(&pool, nothing).get();
}

COREIO_TEST_CASE("an exception in the worker is rethrown as ProcessError with its type and message") {
  coreio::ProcessPoolExecutor pool(1);
  try {
    coreio::get_running_loop().run_in_executor(&pool, throws_in_worker, std::string("bad input")).get();
    FAIL("no exception");
  } catch (const coreio::ProcessError& e) {
    CHECK(e.remote_type() == "std::invalid_argument");
    CHECK(std::string(e.what()) == "bad input");
  }
  // The worker survives its exception and serves the next call.
  CHECK(pool.submit(compute_some_thing, std::vector<int>{4}).get() == std::vector<double>{2.0});
}

TEST_CASE("an unregistered function is a ValueError at submit") {
  coreio::ProcessPoolExecutor pool(1);
  CHECK_THROWS_AS(pool.submit(not_registered, 1), coreio::ValueError);
}

TEST_CASE("submit works from plain threads; calls spread over the workers") {
  coreio::ProcessPoolExecutor pool(2);
  std::vector<coreio::Future<int>> fs;
  for (int i = 0; i < 8; ++i) fs.push_back(pool.submit(sleep_then_pid, 20));
  std::map<int, int> by_pid;
  for (auto& f : fs) ++by_pid[f.get()];
  CHECK(by_pid.size() == 2);
}

TEST_CASE("a worker that exits mid-call fails only that call; queued calls still complete") {
  const auto fds_before = open_fds();
  {
    coreio::ProcessPoolExecutor pool(1);
    auto dying = pool.submit(crash, 0);
    std::vector<coreio::Future<std::vector<double>>> queued;
    for (int i = 0; i < 3; ++i) queued.push_back(pool.submit(compute_some_thing, std::vector<int>{9}));
    CHECK_THROWS_AS(dying.get(), coreio::BrokenProcessPool);
    for (auto& f : queued) CHECK(f.get() == std::vector<double>{3.0});
  }
  CHECK(children().empty());
  CHECK(open_fds() == fds_before);
}

TEST_CASE("a worker that crashes (killed by a signal) fails only its call and is replaced") {
  coreio::ProcessPoolExecutor pool(2);
  auto crashing = pool.submit(crash, 1);
  try {
    crashing.get();
    FAIL("no exception");
  } catch (const coreio::BrokenProcessPool& e) {
    CHECK(std::string(e.what()).find("SIGKILL") != std::string::npos);
  }
  CHECK(pool.submit(worker_pid).get() > 0);
}

COREIO_TEST_CASE("SIGKILL of a worker in the middle of a call: BrokenProcessPool for it, the pool goes on") {
  const auto fds_before = open_fds();
  {
    coreio::ProcessPoolExecutor pool(1);
    auto& loop = coreio::get_running_loop();
    const int pid = loop.run_in_executor(&pool, worker_pid).get();
    const std::string marker = marker_path("victim");
    auto victim = loop.run_in_executor(&pool, mark_then_sleep, marker, 10'000);
    auto queued = loop.run_in_executor(&pool, compute_some_thing, std::vector<int>{16, 25});
    REQUIRE(coreio::to_thread(wait_for_marker, marker)); // the call is running in the worker
    ::unlink(marker.c_str());
    REQUIRE(::kill(pid, SIGKILL) == 0);
    CHECK_THROWS_AS(victim.get(), coreio::BrokenProcessPool);
    CHECK(queued.get() == std::vector<double>{4.0, 5.0});
    const int replacement = loop.run_in_executor(&pool, worker_pid).get();
    CHECK(replacement != pid);
  }
  CHECK(children().empty());
  CHECK(open_fds() == fds_before);
}

TEST_CASE("max_tasks_per_child replaces a worker after that many calls") {
  coreio::ProcessPoolExecutor pool(1, 2);
  std::vector<int> pids;
  for (int i = 0; i < 6; ++i) pids.push_back(pool.submit(worker_pid).get());
  CHECK(pids[0] == pids[1]);
  CHECK(pids[2] == pids[3]);
  CHECK(pids[4] == pids[5]);
  CHECK(pids[0] != pids[2]);
  CHECK(pids[2] != pids[4]);
  pool.shutdown();
  CHECK(children().empty());
}

TEST_CASE("shutdown(wait) finishes the queued calls and reaps every worker; no fd leaks") {
  const auto fds_before = open_fds();
  std::vector<coreio::Future<int>> fs;
  {
    coreio::ProcessPoolExecutor pool(2);
    for (int i = 0; i < 6; ++i) fs.push_back(pool.submit(sleep_then_pid, 5));
    pool.shutdown(true);
    for (auto& f : fs) CHECK(f.done());
    CHECK_THROWS_AS(pool.submit(worker_pid), coreio::RuntimeError);
    CHECK(children().empty());
  }
  for (auto& f : fs) CHECK(f.get() > 0);
  CHECK(open_fds() == fds_before);
}

TEST_CASE("shutdown(cancel_futures) cancels the calls not yet started") {
  coreio::ProcessPoolExecutor pool(1);
  const std::string marker = marker_path("running");
  auto running = pool.submit(mark_then_sleep, marker, 100);
  REQUIRE(wait_for_marker(marker)); // the first call is now in the worker
  ::unlink(marker.c_str());
  std::vector<coreio::Future<int>> queued;
  for (int i = 0; i < 4; ++i) queued.push_back(pool.submit(worker_pid));
  pool.shutdown(true, true);
  CHECK(running.get() > 0);
  for (auto& f : queued) CHECK(f.cancelled());
  CHECK(children().empty());
}

TEST_CASE("a call cancelled before it reaches a worker is never sent") {
  coreio::ProcessPoolExecutor pool(1);
  auto first = pool.submit(sleep_then_pid, 50);
  auto second = pool.submit(crash, 0); // would break the worker if it ran
  CHECK(second.cancel());
  CHECK(first.get() > 0);
  CHECK(pool.submit(worker_pid).get() == first.result());
}

TEST_CASE("large arguments and results cross the socket") {
  coreio::ProcessPoolExecutor pool(1);
  const std::string big(8 << 20, 'x');
  const std::string back = pool.submit(echo_big, big).get();
  CHECK(back.size() == big.size() + 1);
  CHECK(back.back() == '!');
}

} // TEST_SUITE

namespace {

/// True while `pid` exists and is not a zombie (a zombie runs nothing).
bool process_running(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z' && line[close + 2] != 'X';
}

/// Polls (bounded) until `pid` is no longer running; from a task it suspends.
bool gone_within(int pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (process_running(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    coreio::sleep(5ms);
  }
  return true;
}

/// The pid a marker file holds once it is complete, or 0 after 10 s.
int pid_in(const std::string& path) {
  for (int i = 0; i < 2000; ++i) {
    std::ifstream in(path);
    int pid = 0;
    if (in >> pid && pid > 0) return pid;
    coreio::sleep(5ms);
  }
  return 0;
}

#ifdef COREIO_ORPHAN_PROBE
/// Runs process_orphan_probe in `mode` and checks that its worker, inside an
/// endless call, does not outlive it.
void worker_dies_with_parent(const char* mode) {
  const std::string pidfile = marker_path(mode);
  std::string probe = COREIO_ORPHAN_PROBE, file = pidfile, m = mode;
  char* argv[] = {probe.data(), file.data(), m.data(), nullptr};
  pid_t parent = -1;
  REQUIRE(::posix_spawn(&parent, probe.c_str(), nullptr, nullptr, argv, environ) == 0);
  const int worker = pid_in(pidfile);
  REQUIRE(worker > 0);
  CHECK(process_running(worker));
  if (m == "kill") ::kill(parent, SIGKILL);
  else std::ofstream(pidfile + ".go") << "go\n";
  int status = 0;
  while (::waitpid(parent, &status, WNOHANG) == 0) coreio::sleep(5ms);
  if (m == "kill") CHECK(WIFSIGNALED(status));
  else CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  const bool gone = gone_within(worker, 10s);
  CHECK(gone);
  if (!gone) ::kill(worker, SIGKILL); // do not leave it behind either way
  ::unlink(pidfile.c_str());
  ::unlink((pidfile + ".go").c_str());
}
#endif

} // namespace

#ifdef COREIO_ORPHAN_PROBE
COREIO_TEST_CASE("a worker inside an endless call dies when its parent is SIGKILLed") {
  worker_dies_with_parent("kill");
}

COREIO_TEST_CASE("a worker inside an endless call dies when its parent calls _Exit") {
  worker_dies_with_parent("exit");
}
#endif

COREIO_TEST_CASE("a bounded shutdown SIGKILLs a worker stuck in a call and cancels the queue") {
  const std::string marker = marker_path("bounded");
  coreio::ProcessPoolExecutor pool(1);
  auto stuck = pool.submit(mark_then_sleep, marker, 600'000);
  auto queued = pool.submit(worker_pid);
  const int worker = pid_in(marker);
  REQUIRE(worker > 0);
  const auto t0 = std::chrono::steady_clock::now();
  pool.shutdown(true, false, 200ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 200ms);
  CHECK(took < 10s); // generous; unbounded it would be 600 s
  CHECK_THROWS_AS(stuck.get(), coreio::BrokenProcessPool);
  CHECK(queued.cancelled());
  CHECK_FALSE(process_running(worker));
  const auto kids = children();
  CHECK(std::find(kids.begin(), kids.end(), worker) == kids.end()); // reaped
  ::unlink(marker.c_str());
}

COREIO_TEST_CASE("a bounded shutdown without wait also bounds the destructor") {
  const std::string marker = marker_path("bounded-dtor");
  int worker = 0;
  const auto t0 = std::chrono::steady_clock::now();
  coreio::Future<int> stuck;
  {
    coreio::ProcessPoolExecutor pool(2);
    stuck = pool.submit(mark_then_sleep, marker, 600'000);
    CHECK(pool.submit(worker_pid).get() > 0); // the other worker serves meanwhile
    worker = pid_in(marker);
    REQUIRE(worker > 0);
    pool.shutdown(false, true, 200ms);
    CHECK_THROWS_AS(pool.submit(worker_pid), coreio::RuntimeError);
  } // the destructor waits, but no longer than the deadline
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  CHECK_THROWS_AS(stuck.get(), coreio::BrokenProcessPool);
  CHECK_FALSE(process_running(worker));
  ::unlink(marker.c_str());
}

COREIO_TEST_CASE("a bounded shutdown leaves calls that finish in time alone") {
  coreio::ProcessPoolExecutor pool(1);
  auto quick = pool.submit(sleep_then_pid, 50);
  pool.shutdown(true, false, 30s);
  CHECK(quick.get() > 0);
}
