#include "coreio/net/subprocess.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "coreio/coreio.hpp"
#include "coreio_test.hpp"
#include "process_probe.hpp"

using namespace std::chrono_literals;

using coreio::testing::open_fds;
using coreio::testing::children;

TEST_SUITE("subprocess") {

COREIO_TEST_CASE("the seed's example: a child's stdout and stderr come back through communicate()") {
  auto proc = coreio::create_subprocess_exec(
      {"python3", "-c", "import time, sys; time.sleep(0.05); print('来自子进程的输出'); print('err', file=sys.stderr)"},
      {.stdout = coreio::PIPE, .stderr = coreio::PIPE});
  auto [out, err] = proc.communicate();
  CHECK(out == "来自子进程的输出\n");
  CHECK(err == "err\n");
  CHECK(proc.returncode() == 0);
}

COREIO_TEST_CASE("create_subprocess_shell runs through /bin/sh and reports the exit status") {
  auto proc = coreio::create_subprocess_shell("echo hello; exit 3", {.stdout = coreio::PIPE});
  CHECK(proc.stdout->readline() == "hello\n");
  CHECK(proc.wait() == 3);
  CHECK(proc.returncode() == 3);
  CHECK(proc.pid() > 0);
}

COREIO_TEST_CASE("stdin is a StreamWriter: communicate(input) feeds it and closes it") {
  auto proc = coreio::create_subprocess_exec({"cat"}, {.stdin = coreio::PIPE, .stdout = coreio::PIPE});
  auto [out, err] = proc.communicate("line one\nline two\n");
  CHECK(out == "line one\nline two\n");
  CHECK(err.empty());
  CHECK(*proc.returncode() == 0);
}

COREIO_TEST_CASE("stdin, stdout and stderr can be driven by hand") {
  auto proc = coreio::create_subprocess_exec({"sh", "-c", "read x; echo got $x; echo oops >&2"},
                                             {.stdin = coreio::PIPE, .stdout = coreio::PIPE, .stderr = coreio::PIPE});
  proc.stdin->write("42\n");
  proc.stdin->drain();
  CHECK(proc.stdout->readline() == "got 42\n");
  CHECK(proc.stderr->readline() == "oops\n");
  CHECK(proc.stdout->read() == "");
  CHECK(proc.stdout->at_eof());
  CHECK(proc.wait() == 0);
}

COREIO_TEST_CASE("STDOUT merges stderr into stdout; DEVNULL discards") {
  auto merged = coreio::create_subprocess_shell("echo a; echo b >&2", {.stdout = coreio::PIPE, .stderr = coreio::STDOUT});
  auto [out, err] = merged.communicate();
  CHECK(out.find("a\n") != std::string::npos);
  CHECK(out.find("b\n") != std::string::npos);
  CHECK_FALSE(merged.stderr.has_value());
  auto quiet = coreio::create_subprocess_shell("echo a; echo b >&2", {.stdout = coreio::DEVNULL, .stderr = coreio::DEVNULL});
  CHECK_FALSE(quiet.stdout.has_value());
  CHECK(quiet.wait() == 0);
}

COREIO_TEST_CASE("a missing executable is a FileNotFoundError") {
  CHECK_THROWS_AS(coreio::create_subprocess_exec({"/nonexistent/coreio-no-such-program"}), coreio::FileNotFoundError);
  CHECK_THROWS_AS(coreio::create_subprocess_exec({"coreio-no-such-program-in-path"}), coreio::FileNotFoundError);
  CHECK_THROWS_AS(coreio::create_subprocess_exec({}), coreio::ValueError);
  CHECK(children().empty());
}

COREIO_TEST_CASE("terminate, kill and send_signal; returncode is minus the signal") {
  auto a = coreio::create_subprocess_exec({"sleep", "10"});
  a.terminate();
  CHECK(a.wait() == -SIGTERM);
  auto b = coreio::create_subprocess_exec({"sleep", "10"});
  b.kill();
  CHECK(b.wait() == -SIGKILL);
  CHECK_THROWS_AS(b.send_signal(SIGTERM), coreio::ProcessLookupError);
  auto c = coreio::create_subprocess_exec({"sleep", "10"});
  c.send_signal(SIGINT);
  CHECK(c.wait() == -SIGINT);
}

COREIO_TEST_CASE("several tasks can wait() for the same process; cancelling one does not kill it") {
  auto proc = coreio::create_subprocess_exec({"sh", "-c", "sleep 0.1; exit 7"});
  auto w1 = coreio::create_task([proc]() mutable { return proc.wait(); });
  auto w2 = coreio::create_task([proc]() mutable { return proc.wait(); });
  auto w3 = coreio::create_task([proc]() mutable { return proc.wait(); });
  coreio::sleep(10ms);
  w3.cancel();
  CHECK_THROWS_AS(w3.get(), coreio::CancelledError);
  CHECK_FALSE(proc.returncode().has_value());
  CHECK(w1.get() == 7);
  CHECK(w2.get() == 7);
}

COREIO_TEST_CASE("children are reaped without a wait(), and no fds leak") {
  const auto before = open_fds();
  {
    auto proc = coreio::create_subprocess_exec({"true"}, {.stdin = coreio::PIPE, .stdout = coreio::PIPE, .stderr = coreio::PIPE});
    auto [out, err] = proc.communicate();
    CHECK(out.empty());
  }
  {
    auto fire_and_forget = coreio::create_subprocess_exec({"true"});
    (void)fire_and_forget;
  }
  for (int i = 0; i < 500 && !children().empty(); ++i) coreio::sleep(2ms);
  CHECK(children().empty());
  CHECK(open_fds() == before);
}

COREIO_TEST_CASE("100 MiB on stdout and on stderr at once do not deadlock communicate()") {
  // One process alternates 1 MiB chunks between the two pipes, so reading
  // only one of them would stall it as soon as the other pipe fills up.
  auto proc = coreio::create_subprocess_exec(
      {"python3", "-c",
       "import os\n"
       "chunk = b'x' * (1 << 20)\n"
       "for i in range(100):\n"
       "    v = memoryview(chunk)\n"
       "    while v: v = v[os.write(1, v):]\n"
       "    v = memoryview(chunk)\n"
       "    while v: v = v[os.write(2, v):]\n"},
      {.stdout = coreio::PIPE, .stderr = coreio::PIPE});
  auto [out, err] = proc.communicate();
  CHECK(out.size() == 100u << 20);
  CHECK(err.size() == 100u << 20);
  CHECK(proc.returncode() == 0);
}

TEST_CASE("a child still running when its runtime closes is killed and reaped") {
  int pid = 0;
  coreio::run(
      [&] {
        auto proc = coreio::create_subprocess_exec({"sleep", "30"});
        pid = proc.pid();
      },
      {.loops = 1});
  CHECK(pid > 0);
  CHECK(children().empty());
}

} // TEST_SUITE
