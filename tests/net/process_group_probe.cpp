// A serve_processes group for tests/net/test_process_group.py.
//
//     process_group_probe <port> <workers> <drain-ms> [--crash]
//
// Each worker listens on 127.0.0.1:<port> and answers, per request line:
//   "pid"        -> "<pid>"
//   "slow <ms>"  -> "started <pid>" at once, then "done <pid>" after <ms>
// With --crash every worker fails at start-up (fn throws), so the group must
// give up and exit with its crash code. The supervisor's exit code is ours.
#include "coreio/net/process_group.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "coreio/net/net.hpp"
#include "coreio/sleep.hpp"

namespace {

void handle(coreio::StreamReader& reader, coreio::StreamWriter& writer) {
  const std::string pid = std::to_string(::getpid());
  for (;;) {
    std::string line = reader.readline();
    if (line.empty()) return; // EOF
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line == "pid") {
      writer.write(pid + "\n");
    } else if (line.rfind("slow ", 0) == 0) {
      writer.write("started " + pid + "\n");
      writer.drain();
      coreio::sleep(std::chrono::milliseconds(std::atoi(line.c_str() + 5)));
      writer.write("done " + pid + "\n");
    } else {
      writer.write("unknown\n");
    }
    writer.drain();
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: process_group_probe <port> <workers> <drain-ms> [--crash]\n";
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  const auto workers = static_cast<std::size_t>(std::atoi(argv[2]));
  const bool crash = argc > 4 && std::strcmp(argv[4], "--crash") == 0;
  coreio::ProcessGroupOptions opts;
  opts.runtime.loops = 2;
  opts.drain_timeout = std::chrono::milliseconds(std::atoi(argv[3]));
  opts.kill_grace = std::chrono::seconds(5);
  opts.max_restarts = 5;
  opts.restart_window = std::chrono::seconds(30);
  return coreio::serve_processes(
      workers,
      [port, crash](std::size_t) {
        if (crash) throw std::runtime_error("crashing at start-up, as asked");
        return coreio::start_server(handle, "127.0.0.1", port, {.reuse_port = true});
      },
      opts);
}
