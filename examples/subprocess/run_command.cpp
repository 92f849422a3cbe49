// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解",
// §4.3 子进程 (asyncio.create_subprocess_exec, asyncio.create_subprocess_shell)
//
//     async def run_command():
//         try:
//             # process = await asyncio.create_subprocess_exec(
//             #     'ls', '-l', '/', # Unix/Linux/macOS
//             #     stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
//             process = await asyncio.create_subprocess_exec(
//                 'python', '-c', 'import time; time.sleep(1); print("来自子进程的输出")',
//                 stdout=asyncio.subprocess.PIPE,
//                 stderr=asyncio.subprocess.PIPE
//             )
//             stdout, stderr = await process.communicate() # 等待子进程完成
//             if stdout:
//                 print(f"[标准输出]:\n{stdout.decode()}")
//             if stderr:
//                 print(f"[标准错误]:\n{stderr.decode()}")
//             print(f"子进程退出码: {process.returncode}")
//         except FileNotFoundError:
//             print("错误: 命令未找到。请确保命令在您的 PATH 中，或提供完整路径。")
//         except Exception as e:
//             print(f"运行命令时发生错误: {e}")
//
// The child runs while the task waits in communicate(), which reads stdout
// and stderr concurrently (so a chatty child cannot fill a pipe and stall).
// Debian and most current systems have no `python` command, only `python3`,
// so the seed as written ends in its FileNotFoundError branch; this port runs
// `python3`, and then the seed's `python` to show that branch too. Python's
// print() adds a newline after the child's own, hence the empty line.
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/net/subprocess.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

void run_command(const std::vector<std::string>& argv) {
  try {
    auto process = coreio::create_subprocess_exec(argv, {.stdout = coreio::PIPE, .stderr = coreio::PIPE});
    auto [out, err] = process.communicate(); // waits for the child to finish
    if (!out.empty()) fmt::print("[标准输出]:\n{}\n", out);
    if (!err.empty()) fmt::print("[标准错误]:\n{}\n", err);
    fmt::print("子进程退出码: {}\n", *process.returncode());
  } catch (const coreio::FileNotFoundError&) {
    fmt::print("错误: 命令未找到。请确保命令在您的 PATH 中，或提供完整路径。\n");
  } catch (const std::exception& e) {
    fmt::print("运行命令时发生错误: {}\n", e.what());
  }
}

int main() {
  coreio::run(
      [] {
        run_command({"python3", "-c", "import time; time.sleep(1); print(\"来自子进程的输出\")"});
        run_command({"python", "-c", "print('unreachable on systems without a python command')"});
      },
      examples::shape());
}
