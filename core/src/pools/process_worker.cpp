// The worker side of ProcessPoolExecutor: the function registry (filled by
// COREIO_REGISTER_PROCESS_FUNCTION at static initialization, in the parent
// and in every worker alike, since both are the same executable) and
// process_worker_main(), the serving loop of a worker process.
//
// The loop is plain blocking IO on one socket (process_protocol.hpp): a
// worker has no runtime, no loops and no other threads unless the functions
// it runs start them.
#include <cxxabi.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <csignal>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeinfo>

#include "coreio/process_pool_executor.hpp"
#include "pools/process_protocol.hpp"

namespace coreio::detail {

namespace {

struct Registry {
  std::mutex mu;
  struct Entry {
    std::unique_ptr<const std::string> name; // stable address: ProcessCall points at it
    ProcessInvoker invoker;
  };
  std::map<AnyFunction, Entry> by_function;
  std::map<std::string, ProcessInvoker, std::less<>> by_name;
};

Registry& registry() {
  // Function-local static: usable from other translation units' static
  // initializers, whatever their order.
  static Registry r;
  return r;
}

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

namespace wire = process_protocol;

/// Reads exactly n bytes; false on EOF or error.
bool read_all(int fd, char* p, std::size_t n) {
  while (n) {
    const ssize_t r = ::read(fd, p, n);
    if (r > 0) {
      p += r;
      n -= static_cast<std::size_t>(r);
    } else if (r == 0 || errno != EINTR) {
      return false;
    }
  }
  return true;
}

bool write_all(int fd, const std::string& data) {
  const char* p = data.data();
  std::size_t n = data.size();
  while (n) {
    // MSG_NOSIGNAL: a parent that died gives EPIPE, not a SIGPIPE.
    const ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
    if (r > 0) {
      p += r;
      n -= static_cast<std::size_t>(r);
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

bool send_reply(int fd, const wire::Reply& reply) { return write_all(fd, wire::frame(to_blob(reply))); }

wire::Reply serve(const wire::Request& req) {
  ProcessOutcome out = run_registered_function(req.function, req.args);
  wire::Reply reply{.id = req.id,
                    .kind = wire::ReplyKind::result,
                    .payload = std::move(out.payload),
                    .error_type = std::move(out.error_type)};
  if (out.kind == ProcessOutcome::Kind::error) reply.kind = wire::ReplyKind::error;
  if (out.kind == ProcessOutcome::Kind::unknown_function) reply.kind = wire::ReplyKind::unknown_function;
  return reply;
}

} // namespace

bool register_process_function(const char* name, AnyFunction fn, ProcessInvoker invoker) {
  Registry& r = registry();
  std::lock_guard g(r.mu);
  if (auto it = r.by_name.find(name); it != r.by_name.end()) {
    if (it->second == invoker) return true; // the same function registered again
    std::fprintf(stderr, "coreio: COREIO_REGISTER_PROCESS_FUNCTION: the name '%s' is used for two functions\n", name);
    std::abort();
  }
  r.by_name.emplace(name, invoker);
  r.by_function.emplace(fn, Registry::Entry{std::make_unique<const std::string>(name), invoker});
  return true;
}

ProcessOutcome run_registered_function(const std::string& name, const std::string& args) noexcept {
  ProcessOutcome out;
  ProcessInvoker invoker = nullptr;
  {
    Registry& r = registry();
    std::lock_guard g(r.mu);
    if (auto it = r.by_name.find(name); it != r.by_name.end()) invoker = it->second;
  }
  try {
    if (!invoker) {
      out.kind = ProcessOutcome::Kind::unknown_function;
      out.payload = "function '" + name + "' is not registered in the worker process";
      return out;
    }
    out.payload = invoker(args);
  } catch (const std::exception& e) {
    out.kind = ProcessOutcome::Kind::error;
    out.error_type = demangle(typeid(e).name());
    out.payload = e.what();
  } catch (...) {
    out.kind = ProcessOutcome::Kind::error;
    const std::type_info* t = abi::__cxa_current_exception_type();
    out.error_type = t ? demangle(t->name()) : "unknown";
    out.payload = "exception of type " + out.error_type;
  }
  return out;
}

const std::string* process_function_name(AnyFunction fn) {
  Registry& r = registry();
  std::lock_guard g(r.mu);
  auto it = r.by_function.find(fn);
  return it == r.by_function.end() ? nullptr : it->second.name.get();
}

} // namespace coreio::detail

namespace coreio {

bool process_worker_main(int argc, char** argv) {
  namespace wire = detail::process_protocol;
  if (argc < 3 || std::strcmp(argv[1], wire::worker_flag) != 0) return false;
  const int fd = std::atoi(argv[2]);
  // Die with the parent, even inside a long or endless call that never looks
  // at the socket: the kernel sends SIGKILL when the thread that started us
  // (the pool's manager thread, which outlives every worker it started) or
  // the whole parent process ends, by SIGKILL or _Exit included. A parent
  // that died before the prctl took effect has left us to another parent
  // already: getppid() then differs from the pid it passed us, and we leave.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (argc >= 4 && ::getppid() != static_cast<pid_t>(std::atol(argv[3]))) {
    ::close(fd);
    return true;
  }
  // From here on this is a well-behaved worker: processes it starts are not.
  ::unsetenv(wire::worker_env);
  if (!detail::send_reply(fd, wire::Reply{.id = 0, .kind = wire::ReplyKind::hello})) {
    ::close(fd);
    return true;
  }
  std::string payload;
  for (;;) {
    char header[wire::header_size];
    if (!detail::read_all(fd, header, sizeof header)) break; // EOF: the pool let us go
    const std::uint64_t n = wire::get_header(header);
    if (n > wire::max_frame) break;
    payload.resize(n);
    if (!detail::read_all(fd, payload.data(), n)) break;
    wire::Reply reply;
    try {
      reply = detail::serve(detail::from_blob<wire::Request>(payload));
    } catch (const std::exception& e) {
      // A request we cannot even decode: the stream is corrupt; stop.
      std::fprintf(stderr, "coreio worker %d: bad request: %s\n", static_cast<int>(::getpid()), e.what());
      break;
    }
    if (!detail::send_reply(fd, reply)) break;
  }
  ::close(fd);
  return true;
}

} // namespace coreio
