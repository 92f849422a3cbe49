// Seed 000_101465e587657cb0.txt "asyncio 模块", §3.2 asyncio.Stream API 的改进
//
//     async def handle_echo(reader, writer):
//         data = await reader.read(100)
//         message = data.decode()
//         writer.write(data)
//         await writer.drain()
//         writer.close()
//
//     async def main():
//         server = await asyncio.start_server(handle_echo, '127.0.0.1', 8888)
//         async with server:
//             await server.serve_forever()
//
// (There is no "asyncio.Stream API" change in 3.10; the streams API is
// unchanged since 3.7. The program itself is the classic echo server.)
// The seed's server runs forever and needs a client from elsewhere; this port
// starts it on a free port, connects three clients to it at once, and closes
// it when they are done (`async with server` is close() + wait_closed()).
#include <string>
#include <vector>

#include <coreio/coreio.hpp>
#include <coreio/net/connection.hpp>
#include <coreio/net/server.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

void handle_echo(coreio::StreamReader& reader, coreio::StreamWriter& writer) {
  std::string data = reader.read(100);
  writer.write(data);
  writer.drain();
  writer.close();
}

std::string ask(std::uint16_t port, const std::string& message) {
  auto [reader, writer] = coreio::open_connection("127.0.0.1", port);
  writer.write(message);
  writer.drain();
  std::string reply = reader.read(-1); // until the server closes the connection
  writer.close();
  return reply;
}

int main() {
  coreio::run(
      [] {
        auto server = coreio::start_server(handle_echo, "127.0.0.1", 0);
        const std::uint16_t port = server.sockets().front().port;
        auto replies = coreio::gather([port] { return ask(port, "one"); }, [port] { return ask(port, "two"); },
                                      [port] { return ask(port, "three"); });
        std::apply([](const auto&... r) { ((fmt::print("echoed: {}\n", r)), ...); }, replies);
        server.close();
        server.wait_closed();
        fmt::print("server closed, serving: {}\n", server.is_serving());
      },
      examples::shape());
}
