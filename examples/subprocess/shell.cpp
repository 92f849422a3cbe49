// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解", §4.3 子进程:
//
//     - create_subprocess_exec(): 执行一个可执行文件。
//     - create_subprocess_shell(): 通过 shell 执行命令 (注意安全风险)。
//
// The seed shows only the exec form; this is the shell form, with the rest of
// Process's surface: a stdin pipe fed by communicate(input), stderr kept
// apart from stdout, a non-zero exit status, and a child stopped with
// terminate() (returncode is then minus the signal number). As the seed
// warns, a shell command must never be built from untrusted input: the
// input here travels through the stdin pipe instead.
#include <csignal>
#include <string>

#include <coreio/coreio.hpp>
#include <coreio/net/subprocess.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

int main() {
  coreio::run(
      [] {
        auto upper = coreio::create_subprocess_shell(
            "tr a-z A-Z; echo 'a note on stderr' >&2; exit 3",
            {.stdin = coreio::PIPE, .stdout = coreio::PIPE, .stderr = coreio::PIPE});
        auto [out, err] = upper.communicate("hello from the parent\n");
        fmt::print("stdout: {}", out);
        fmt::print("stderr: {}", err);
        fmt::print("returncode: {}\n", *upper.returncode());

        auto sleeper = coreio::create_subprocess_shell("exec sleep 30");
        coreio::sleep(sec(0.2));
        fmt::print("running: {}\n", !sleeper.returncode().has_value());
        sleeper.terminate();
        fmt::print("after terminate(): returncode {} (SIGTERM is {})\n", sleeper.wait(), SIGTERM);
      },
      examples::shape());
}
