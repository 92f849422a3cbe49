// Output of benchmark figures in the card's line format.
//
// One line per figure:
//
//     <bench> <runtime> loops=<n> <metric>=<value> <unit>
//
// or, in JSON mode, one object per line with the keys bench, runtime, loops,
// metric, value and unit, plus n (the problem size) and scaled (whether n
// differs from the card's size). The size is also printed as a figure named
// `n`, so text output says what was run too. perf/peers/python/figures.py
// writes the same format.
//
// Thread safety: use from one thread; each figure is flushed as it is printed.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace perf {

struct Figure {
    std::string_view metric;
    double value;
    std::string_view unit;
};

// Fixed-point text with enough digits for both 812.3 ns and 0.042 s.
inline std::string format_value(double value) {
    char text[64];
    const double magnitude = std::fabs(value);
    const int decimals = magnitude >= 100 ? 1 : magnitude >= 1 ? 2 : 4;
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

class FigureWriter {
public:
    // `card_n` is the size BENCHMARKS.md specifies; `n` the size this run used.
    FigureWriter(std::string bench, std::string runtime, unsigned loops, bool json,
                 std::int64_t n, std::int64_t card_n)
        : bench_(std::move(bench)),
          runtime_(std::move(runtime)),
          loops_(loops),
          json_(json),
          n_(n),
          scaled_(n != card_n) {}

    void emit(const Figure& figure) const { print(figure.metric, format_value(figure.value), figure.unit); }

    // The problem size as the figure `n`, counted in `counts` (e.g. "tasks").
    void emit_size(std::string_view counts) const { print("n", std::to_string(n_), counts); }

private:
    void print(std::string_view metric, const std::string& value, std::string_view unit) const {
        if (json_) {
            std::printf(
                "{\"bench\": \"%s\", \"runtime\": \"%s\", \"loops\": %u, \"metric\": \"%.*s\", "
                "\"value\": %s, \"unit\": \"%.*s\", \"n\": %lld, \"scaled\": %s}\n",
                bench_.c_str(), runtime_.c_str(), loops_, static_cast<int>(metric.size()), metric.data(),
                value.c_str(), static_cast<int>(unit.size()), unit.data(), static_cast<long long>(n_),
                scaled_ ? "true" : "false");
        } else {
            std::printf("%s %s loops=%u %.*s=%s %.*s\n", bench_.c_str(), runtime_.c_str(), loops_,
                        static_cast<int>(metric.size()), metric.data(), value.c_str(),
                        static_cast<int>(unit.size()), unit.data());
        }
        std::fflush(stdout);
    }

    std::string bench_;
    std::string runtime_;
    unsigned loops_;
    bool json_;
    std::int64_t n_;
    bool scaled_;
};

}  // namespace perf
