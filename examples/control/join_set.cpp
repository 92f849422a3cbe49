// JoinSet, AbortHandle and select: collecting tasks as they finish, and
// racing them (coreio extensions to asyncio, after Tokio's JoinSet/select!).
//
// Three downloads of different lengths are spawned into a JoinSet and joined
// in the order they finish (as_completed over a set you can keep adding to);
// one of them is aborted through its AbortHandle and comes out cancelled.
// Then select() races a slow fetch against a deadline: the deadline wins, and
// the fetch has finished its cleanup before select() returns.
#include <string>

#include <coreio/coreio.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

using examples::sec;

std::string download(const std::string& name, double seconds) {
  coreio::sleep(sec(seconds));
  return name + " (" + std::to_string(static_cast<int>(seconds * 10)) + ")";
}

int main() {
  coreio::run(
      [] {
        coreio::JoinSet<std::string> set;
        set.spawn([] { return download("slow", 0.3); });
        set.spawn([] { return download("fast", 0.1); });
        coreio::AbortHandle never = set.spawn([] { return download("never", 10); });
        set.spawn([] { return download("medium", 0.2); });
        never.abort();
        while (auto r = set.join_next()) {
          if (r->cancelled()) fmt::print("a download was aborted\n");
          else fmt::print("finished: {}\n", r->value());
        }
        fmt::print("set empty: {}\n", set.empty());

        auto winner = coreio::select(
            [] {
              try {
                return download("huge", 10);
              } catch (const coreio::CancelledError&) {
                fmt::print("huge download cancelled, cleaning up\n");
                throw;
              }
            },
            [] { coreio::sleep(sec(0.2)); });
        fmt::print("select: branch {} won ({})\n", winner.index(), winner.index() == 1 ? "deadline" : "download");
      },
      examples::shape());
}
