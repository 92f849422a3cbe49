// Command-line options of the card's C++ programs.
//
// Each program declares the options it accepts; anything else is a usage
// error, so a typo in the driver fails loudly instead of silently running the
// default. Options with a value accept both `--key=value` and `--key value`;
// flags are bare `--flag`. Words that do not start with `--` are positional.
//
// Thread safety: none needed; parsed once on the main thread before any work.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace perf {

// Exit statuses shared by every program of the card.
inline constexpr int exit_ok = 0;
inline constexpr int exit_wrong_result = 1;
inline constexpr int exit_usage = 2;

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string_view name;  // without the leading "--"
    bool takes_value;
    std::string_view help;
};

class Options {
public:
    // Throws UsageError on an undeclared option or a missing value.
    Options(int argc, char** argv, std::vector<OptionSpec> specs)
        : specs_(std::move(specs)) {
        for (int i = 1; i < argc; ++i) {
            std::string_view word = argv[i];
            if (!word.starts_with("--")) {
                positional_.emplace_back(word);
                continue;
            }
            word.remove_prefix(2);
            const auto equals = word.find('=');
            const std::string_view name = word.substr(0, equals);
            const OptionSpec& spec = find_spec(name);
            if (!spec.takes_value) {
                if (equals != std::string_view::npos) {
                    throw UsageError("--" + std::string(name) + " takes no value");
                }
                values_[std::string(name)] = "";
            } else if (equals != std::string_view::npos) {
                values_[std::string(name)] = std::string(word.substr(equals + 1));
            } else if (i + 1 < argc) {
                values_[std::string(name)] = argv[++i];
            } else {
                throw UsageError("--" + std::string(name) + " needs a value");
            }
        }
    }

    [[nodiscard]] bool flag(std::string_view name) const {
        return values_.contains(name);
    }

    [[nodiscard]] std::optional<std::string> text(std::string_view name) const {
        const auto it = values_.find(name);
        if (it == values_.end()) {
            return std::nullopt;
        }
        return it->second;
    }

    [[nodiscard]] std::string text(std::string_view name, std::string_view fallback) const {
        return text(name).value_or(std::string(fallback));
    }

    // Throws UsageError unless the value is an integer in [min, max].
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view name, std::int64_t min,
                                                      std::int64_t max) const {
        const auto value = text(name);
        if (!value) {
            return std::nullopt;
        }
        std::int64_t parsed = 0;
        const char* end = value->data() + value->size();
        const auto [ptr, error] = std::from_chars(value->data(), end, parsed);
        if (error != std::errc{} || ptr != end || parsed < min || parsed > max) {
            throw UsageError("--" + std::string(name) + "=" + *value + ": expected an integer in [" +
                             std::to_string(min) + ", " + std::to_string(max) + "]");
        }
        return parsed;
    }

    // Throws UsageError unless the value is a number >= min.
    [[nodiscard]] std::optional<double> number(std::string_view name, double min) const {
        const auto value = text(name);
        if (!value) {
            return std::nullopt;
        }
        double parsed = 0;
        const char* end = value->data() + value->size();
        const auto [ptr, error] = std::from_chars(value->data(), end, parsed);
        if (error != std::errc{} || ptr != end || parsed < min) {
            throw UsageError("--" + std::string(name) + "=" + *value +
                             ": expected a number >= " + std::to_string(min));
        }
        return parsed;
    }

    [[nodiscard]] const std::vector<std::string>& positional() const { return positional_; }

    [[nodiscard]] std::string usage(std::string_view synopsis) const {
        std::string text = "usage: " + std::string(synopsis) + "\n";
        for (const OptionSpec& spec : specs_) {
            std::string left = "  --" + std::string(spec.name) + (spec.takes_value ? "=VALUE" : "");
            left.resize(std::max<std::size_t>(left.size() + 2, 26), ' ');
            text += left + std::string(spec.help) + "\n";
        }
        return text;
    }

private:
    const OptionSpec& find_spec(std::string_view name) const {
        for (const OptionSpec& spec : specs_) {
            if (spec.name == name) {
                return spec;
            }
        }
        throw UsageError("unknown option --" + std::string(name));
    }

    std::vector<OptionSpec> specs_;
    std::map<std::string, std::string, std::less<>> values_;
    std::vector<std::string> positional_;
};

}  // namespace perf
