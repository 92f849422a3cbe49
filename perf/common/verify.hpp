// Result checks of the card's C++ programs.
//
// A benchmark whose result is wrong measured nothing: it throws WrongResult,
// and the program reports it and exits with perf::exit_wrong_result.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace perf {

class WrongResult : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws WrongResult naming `what` unless actual == expected.
inline void expect_equal(std::int64_t actual, std::int64_t expected, std::string_view what) {
    if (actual != expected) {
        throw WrongResult(std::string(what) + ": got " + std::to_string(actual) + ", expected " +
                          std::to_string(expected));
    }
}

}  // namespace perf
