// SPDX-License-Identifier: MIT
#include "control.h"

#include <algorithm>
#include <charconv>

namespace wisp::cli {

namespace {

std::optional<uint64_t> parse_number(std::string_view text) {
    uint64_t value = 0;
    int base = 10;
    if (text.starts_with("0x")) {
        text.remove_prefix(2);
        base = 16;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

} // namespace

void ControlParser::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        auto newline = bytes.find('\n');
        if (newline == std::string_view::npos) {
            m_partial.append(bytes);
            return;
        }
        if (m_partial.empty()) {
            take_line(bytes.substr(0, newline));
        } else {
            m_partial.append(bytes.substr(0, newline));
            take_line(m_partial);
            m_partial.clear();
        }
        bytes.remove_prefix(newline + 1);
    }
}

void ControlParser::finish() {
    if (!m_partial.empty()) take_line(m_partial);
    m_partial.clear();
}

void ControlParser::take_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) return;
    m_records.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    if (on_record) on_record(line.substr(0, eq), line.substr(eq + 1));
}

std::map<std::string, std::string> ControlParser::latest() const {
    std::map<std::string, std::string> result;
    for (const auto& [key, value] : m_records)
        result[key] = value;
    return result;
}

std::optional<uint64_t> control_number(const std::map<std::string, std::string>& records,
                                       const std::string& key) {
    auto it = records.find(key);
    if (it == records.end()) return std::nullopt;
    return parse_number(it->second);
}

std::vector<Milestone> milestones(const std::map<std::string, std::string>& records) {
    std::vector<Milestone> result;
    for (const auto& [key, value] : records) {
        if (!key.starts_with("t.") || key.size() == 2) continue;
        if (auto tsc = parse_number(value)) result.push_back({key.substr(2), *tsc});
    }
    std::stable_sort(result.begin(), result.end(),
                     [](const Milestone& a, const Milestone& b) { return a.tsc < b.tsc; });
    return result;
}

} // namespace wisp::cli
