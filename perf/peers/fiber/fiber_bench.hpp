// The common main() of the Boost.Fiber peers.
//
// Every fiber peer is `peer_fiber_<bench> [--algo=round_robin|work_stealing]
// [--threads=N] [--stack-kib=K] [--quick] [--n=N] [--json]`. This file parses
// those options, runs the benchmark and prints its figures; the benchmark
// itself only does the work, checks it and returns what it measured.
#pragma once

#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <string_view>
#include <vector>

#include "figure_writer.hpp"
#include "fiber_pool.hpp"
#include "options.hpp"
#include "verify.hpp"

namespace perf::fiber {

struct BenchSpec {
    std::string_view name;
    std::int64_t card_n;      // the size BENCHMARKS.md specifies
    std::int64_t quick_n;     // the --quick size
    std::string_view counts;  // what n counts, e.g. "tasks"
    // Rejects sizes the benchmark cannot run (e.g. skynet needs a power of 10).
    std::function<bool(std::int64_t)> valid_n = [](std::int64_t) { return true; };
};

struct BenchContext {
    PoolConfig pool;
    std::int64_t n;
};

// Runs the work, throws WrongResult on a wrong result, returns the figures.
using BenchBody = std::function<std::vector<Figure>(const BenchContext&)>;

inline int run_fiber_bench(int argc, char** argv, const BenchSpec& spec, const BenchBody& body) {
    const std::string synopsis = "peer_fiber_" + std::string(spec.name) +
                                 " [--algo=round_robin|work_stealing] [--threads=N] [--quick] [--n=N] [--json]";
    std::vector<OptionSpec> specs = pool_option_specs();
    specs.push_back({"quick", false, "run the quick (smaller) size"});
    specs.push_back({"n", true, "problem size (overrides --quick)"});
    specs.push_back({"json", false, "print JSON lines"});
    specs.push_back({"help", false, "print this help"});
    try {
        const Options options(argc, argv, specs);
        if (options.flag("help")) {
            std::fputs(options.usage(synopsis).c_str(), stdout);
            return exit_ok;
        }
        if (!options.positional().empty()) {
            throw UsageError("unexpected argument " + options.positional().front());
        }
        const PoolConfig pool = parse_pool_config(options);
        const std::int64_t default_n = options.flag("quick") ? spec.quick_n : spec.card_n;
        const std::int64_t n = options.integer("n", 1, std::int64_t{1} << 40).value_or(default_n);
        if (!spec.valid_n(n)) {
            throw UsageError("--n=" + std::to_string(n) + " is not a valid size for " + std::string(spec.name));
        }
        const std::vector<Figure> figures = body(BenchContext{pool, n});
        const FigureWriter writer(std::string(spec.name), runtime_name(pool.algo), pool.threads,
                                  options.flag("json"), n, spec.card_n);
        for (const Figure& figure : figures) {
            writer.emit(figure);
        }
        writer.emit_size(spec.counts);
        return exit_ok;
    } catch (const UsageError& error) {
        std::fprintf(stderr, "%s: %s\n%s", argv[0], error.what(),
                     Options(1, argv, specs).usage(synopsis).c_str());
        return exit_usage;
    } catch (const WrongResult& error) {
        std::fprintf(stderr, "%s: wrong result: %s\n", argv[0], error.what());
        return exit_wrong_result;
    }
}

}  // namespace perf::fiber
