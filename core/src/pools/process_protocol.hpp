// The wire protocol between a ProcessPoolExecutor and its worker processes.
//
// One SOCK_STREAM socketpair per worker carries frames both ways. A frame is
// an 8-byte little-endian payload length followed by the payload, a cereal
// binary archive of one message:
//   worker -> parent, first:  Reply{id = 0, kind = hello}
//   parent -> worker:         Request{id, function name, argument blob}
//   worker -> parent:         Reply{id, kind = result | error | unknown, ...}
// Argument and result blobs are themselves cereal archives of the function's
// parameter tuple / result (process_pool_executor.hpp); the worker looks the
// function up by name, since addresses differ between the processes. A worker
// runs one request at a time and answers before it reads the next. The
// parent ends a worker by closing its end of the socket: the worker reads EOF
// and exits; a worker whose parent died reads EOF too.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace coreio::detail::process_protocol {

/// The argv[1] that makes process_worker_main() serve; argv[2] is the fd.
inline constexpr const char* worker_flag = "--coreio-worker";
/// The worker's socket number in the child (dup2'ed there by posix_spawn).
inline constexpr int worker_fd = 3;
/// Set in a worker's environment; process_worker_main() removes it. Still
/// set means main() never called process_worker_main().
inline constexpr const char* worker_env = "COREIO_PROCESS_WORKER";
/// Bytes of the length prefix.
inline constexpr std::size_t header_size = 8;
/// Frames above this are treated as corruption (a desynchronized stream).
inline constexpr std::uint64_t max_frame = std::uint64_t{1} << 40;

struct Request {
  std::uint64_t id = 0;
  std::string function;
  std::string args;
  template <class Archive>
  void serialize(Archive& ar) { ar(id, function, args); }
};

enum class ReplyKind : std::uint8_t { hello, result, error, unknown_function };

struct Reply {
  std::uint64_t id = 0;
  ReplyKind kind = ReplyKind::hello;
  std::string payload = {};    ///< result blob (result) or what() (error)
  std::string error_type = {}; ///< demangled exception type (error)
  template <class Archive>
  void serialize(Archive& ar) { ar(id, kind, payload, error_type); }
};

inline void put_header(char* out, std::uint64_t n) {
  for (std::size_t i = 0; i < header_size; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
}
inline std::uint64_t get_header(const char* in) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < header_size; ++i) n |= std::uint64_t(static_cast<unsigned char>(in[i])) << (8 * i);
  return n;
}

/// Header + payload, ready to send.
inline std::string frame(const std::string& payload) {
  std::string out(header_size, '\0');
  put_header(out.data(), payload.size());
  out += payload;
  return out;
}

} // namespace coreio::detail::process_protocol
