// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）", §7.3 结合多进程使用
//
//     def compute_some_thing(numbers):
//         # 一些CPU密集型的计算
//         return [math.sqrt(number) for number in numbers]
//
//     async def main():
//         numbers = range(10)
//         loop = asyncio.get_running_loop()
//         with concurrent.futures.ProcessPoolExecutor() as pool:
//             result = await loop.run_in_executor(pool, compute_some_thing, numbers)
//         print("Custom computation results:", result)
//
// Python pickles the function and its arguments to a worker process. C++
// cannot serialize a closure, so the worker runs *registered* functions
// (COREIO_REGISTER_PROCESS_FUNCTION) and the arguments and result travel
// through cereal; a worker is this same executable, which is why main()
// starts with coreio::process_worker_main. The executor's destructor is the
// `with` block's exit: it waits for the calls and the worker processes.
// The results are printed the way Python prints floats.
#include <cmath>
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "common/shape.hpp"

std::vector<double> compute_some_thing(std::vector<int> numbers) {
  // Some CPU-heavy computation.
  std::vector<double> out;
  for (int n : numbers) out.push_back(std::sqrt(n));
  return out;
}
COREIO_REGISTER_PROCESS_FUNCTION(compute_some_thing);

/// Python's repr of a float: the shortest round-trip form, with ".0" if integral.
std::string py_float(double x) {
  std::string s = fmt::format("{}", x);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

int main(int argc, char** argv) {
  if (coreio::process_worker_main(argc, argv)) return 0; // a worker process: serve calls, then exit

  coreio::run(
      [] {
        std::vector<int> numbers{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; // range(10)
        coreio::Loop& loop = coreio::get_running_loop();
        std::vector<double> result;
        {
          coreio::ProcessPoolExecutor pool;
          result = loop.run_in_executor(&pool, compute_some_thing, numbers).get();
        }
        std::vector<std::string> shown;
        for (double r : result) shown.push_back(py_float(r));
        fmt::print("Custom computation results: [{}]\n", fmt::join(shown, ", "));
      },
      examples::shape());
}
