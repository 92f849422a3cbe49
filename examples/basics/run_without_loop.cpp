// Seed 003_13ef8923cba52c14.txt "深入理解 Python 异步编程（中）",
// §3.1.1 无需 EventLoop 执行原生协程的魔法
//
//     def run(coro):
//         try:
//             coro.send(None)
//         except StopIteration as e:
//             return e.value
//
//     result = run(say_helloworld())
//     print(result)
//
// The seed drives a coroutine that never suspends by hand, to show that
// async/await is built on generators. coreio has no coroutine objects: a task
// body is a plain function, so one that never suspends can simply be called,
// with no runtime at all. (A function that does suspend, e.g. in
// coreio::sleep, blocks the calling thread when called outside a runtime.)
#include <string>

#include <fmt/core.h>

std::string say_hello() {
  fmt::print("in say_hello\n");
  return "Hello";
}

std::string say_world() {
  fmt::print("in say_world\n");
  return "World";
}

std::string say_helloworld() {
  fmt::print("in say_helloworld\n");
  std::string hello = say_hello(); // `await say_hello()`
  return hello + say_world();      // `+ await say_world()`
}

int main() {
  std::string result = say_helloworld();
  fmt::print("{}\n", result);
}
