// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §6.4 异步读文件
//
//     async def read_file_async(file_path):
//         loop = asyncio.get_event_loop()
//         with open(file_path, 'r') as file:
//             return await loop.run_in_executor(None, file.read)
//
//     async def main():
//         content = await read_file_async('path/to/your/file.txt')
//         print(content)
//
// File reads block, so they go to the default thread pool:
// run_in_executor(nullptr, fn) returns a Future and get() suspends the task
// until the pool thread has read the file. The path comes from the command
// line (the seed's is a placeholder).
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

std::string read_file_async(const std::string& file_path) {
  coreio::Loop& loop = coreio::get_running_loop();
  std::ifstream file(file_path);
  if (!file) throw std::runtime_error("cannot open " + file_path);
  auto read = [&file] {
    std::ostringstream out;
    out << file.rdbuf();
    return out.str();
  };
  return loop.run_in_executor(nullptr, read).get();
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: read_file <path>\n";
    return 2;
  }
  std::string path = argv[1];
  coreio::run(
      [path] {
        std::string content = read_file_async(path);
        fmt::print("{}", content);
      },
      examples::shape());
}
