// Seed 001_aa66952d510d8274.txt "Python asyncio 模块详解", §4.4 流 (Streams)
//
//     async def handle_echo_client(reader, writer):
//         addr = writer.get_extra_info('peername')
//         print(f"收到来自 {addr} 的连接")
//         while True:
//             data = await reader.read(100) # 读取最多100字节
//             if not data: # 连接关闭
//                 break
//             message = data.decode()
//             print(f"从 {addr} 收到: {message!r}")
//             writer.write(data) # 回显数据
//             await writer.drain() # 等待写入缓冲区清空
//         print(f"关闭来自 {addr} 的连接")
//         writer.close()
//         await writer.wait_closed() # Python 3.7+
//
//     async def main_server():
//         server = await asyncio.start_server(handle_echo_client, '127.0.0.1', 8888)
//         addr = server.sockets[0].getsockname()
//         print(f'服务器正在监听 {addr}')
//         async with server: # 确保服务器正确关闭
//             await server.serve_forever()
//
//     async def tcp_echo_client(message):
//         try:
//             reader, writer = await asyncio.open_connection('127.0.0.1', 8888)
//             print(f'发送: {message!r}')
//             writer.write(message.encode())
//             await writer.drain()
//             data = await reader.read(100)
//             print(f'收到: {data.decode()!r}')
//             print('关闭连接')
//             writer.close()
//             await writer.wait_closed()
//         except ConnectionRefusedError:
//             print("连接被拒绝。请确保服务器正在运行。")
//
//     asyncio.run(tcp_echo_client('你好, asyncio 服务器!'))
//     asyncio.run(tcp_echo_client('这是第二条消息。'))
//
// The seed runs the server and the clients as separate programs (comment one
// out, start the other). Here one program runs both: the server in a task,
// then the two clients one after the other, then a third client after the
// server has closed, which takes the ConnectionRefusedError branch. The
// server listens on a free port (port 0) rather than 8888, so that the
// example never collides with something else on the machine. Each connection
// is handled by its own task, on whichever loop accepted it.
#include <any>
#include <cstdint>
#include <string>

#include <coreio/coreio.hpp>
#include <coreio/net/connection.hpp>
#include <coreio/net/server.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

std::string peer(const coreio::StreamWriter& writer) {
  return std::any_cast<coreio::Address>(writer.get_extra_info("peername")).to_string();
}

void handle_echo_client(coreio::StreamReader& reader, coreio::StreamWriter& writer) {
  std::string addr = peer(writer);
  fmt::print("收到来自 {} 的连接\n", addr);
  while (true) {
    std::string data = reader.read(100); // at most 100 bytes
    if (data.empty()) break;             // the client closed the connection
    fmt::print("从 {} 收到: '{}'\n", addr, data);
    writer.write(data); // echo it back
    writer.drain();     // wait until the write buffer has drained
  }
  fmt::print("关闭来自 {} 的连接\n", addr);
  writer.close();
  writer.wait_closed();
}

void tcp_echo_client(const std::string& message, std::uint16_t port) {
  try {
    auto [reader, writer] = coreio::open_connection("127.0.0.1", port);
    fmt::print("发送: '{}'\n", message);
    writer.write(message);
    writer.drain();
    std::string data = reader.read(100);
    fmt::print("收到: '{}'\n", data);
    fmt::print("关闭连接\n");
    writer.close();
    writer.wait_closed();
  } catch (const coreio::ConnectionRefusedError&) {
    fmt::print("连接被拒绝。请确保服务器正在运行。\n");
  }
}

int main() {
  coreio::run(
      [] {
        auto server = coreio::start_server(handle_echo_client, "127.0.0.1", 0);
        coreio::Address addr = server.sockets().front();
        fmt::print("服务器正在监听 {}\n", addr.to_string());
        auto serving = coreio::create_task([server]() mutable { server.serve_forever(); });

        tcp_echo_client("你好, asyncio 服务器!", addr.port);
        tcp_echo_client("这是第二条消息。", addr.port);

        server.close();       // stop listening
        server.wait_closed(); // and wait for the connections to finish
        serving.get();
        tcp_echo_client("服务器已关闭。", addr.port);
      },
      examples::shape());
}
