// uring_echo_floor: the cheapest TCP echo server this machine allows, as a
// floor for the echo row (docs/api/net.md, "Why coreio does not reach 1.1x
// raw Asio here"). Not a peer on the card: one thread, no framework, no
// error recovery beyond closing the connection.
//
//     uring_echo_floor [port]        prints port=<P>, serves until killed
//
// One io_uring (SINGLE_ISSUER | DEFER_TASKRUN), a multishot accept, and per
// connection one recv and then one send of what it got, queued as SQEs and
// submitted together once per pass (io_uring_submit_and_wait). A round trip
// therefore costs the kernel's TCP work plus a share of one io_uring_enter:
// what is left is what any server pays on this kernel.
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct Conn {
  int fd = -1;
  unsigned len = 0;  ///< bytes received, being echoed
  unsigned sent = 0; ///< of those, sent so far
  char buf[16 * 1024];
};

enum Kind : std::uintptr_t { accept_op = 1, recv_op = 2, send_op = 3 };

io_uring ring;

io_uring_sqe* sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring);
  if (!s) {
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
  }
  return s;
}

void queue_recv(Conn* c) {
  io_uring_sqe* s = sqe();
  io_uring_prep_recv(s, c->fd, c->buf, sizeof c->buf, 0);
  io_uring_sqe_set_data64(s, reinterpret_cast<std::uintptr_t>(c) | recv_op);
}

void queue_send(Conn* c) {
  io_uring_sqe* s = sqe();
  io_uring_prep_send(s, c->fd, c->buf + c->sent, c->len - c->sent, 0);
  io_uring_sqe_set_data64(s, reinterpret_cast<std::uintptr_t>(c) | send_op);
}

void drop(Conn* c) {
  ::close(c->fd);
  delete c;
}

} // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (const int rc = io_uring_queue_init_params(1024, &ring, &p); rc < 0) {
    std::fprintf(stderr, "io_uring_queue_init_params: %s\n", std::strerror(-rc));
    return 1;
  }
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd, 1024) != 0 ||
      ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &alen) != 0) {
    std::perror("listen");
    return 1;
  }
  std::printf("port=%d\n", ntohs(a.sin_port));
  std::fflush(stdout);
  io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, lfd, nullptr, nullptr, 0);
  io_uring_sqe_set_data64(s, accept_op);
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    io_uring_cqe* cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++n;
      const std::uintptr_t data = cqe->user_data;
      auto* c = reinterpret_cast<Conn*>(data & ~std::uintptr_t{3});
      switch (static_cast<Kind>(data & 3)) {
      case accept_op:
        if (cqe->res >= 0) {
          auto* fresh = new Conn;
          fresh->fd = cqe->res;
          ::setsockopt(fresh->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          queue_recv(fresh);
        }
        break;
      case recv_op:
        if (cqe->res <= 0) {
          drop(c);
        } else {
          c->len = static_cast<unsigned>(cqe->res);
          c->sent = 0;
          queue_send(c);
        }
        break;
      case send_op:
        if (cqe->res < 0) {
          drop(c);
        } else if ((c->sent += static_cast<unsigned>(cqe->res)) < c->len) {
          queue_send(c); // short send: the rest
        } else {
          queue_recv(c);
        }
        break;
      }
    }
    io_uring_cq_advance(&ring, n);
  }
}
