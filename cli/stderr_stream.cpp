// SPDX-License-Identifier: MIT
#include "stderr_stream.h"

namespace wisp::cli {

namespace {
// Every kernel backtrace line starts with this (vmm/boot/symbols.h).
constexpr std::string_view kBacktracePrefix = "  #";
} // namespace

void StderrStream::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        auto newline = bytes.find('\n');
        if (m_state == LineState::Passing) {
            size_t n = newline == std::string_view::npos ? bytes.size() : newline + 1;
            m_sink(bytes.substr(0, n));
            bytes.remove_prefix(n);
            if (newline != std::string_view::npos) m_state = LineState::Holding;
        } else if (m_held.size() < kBacktracePrefix.size()) {
            // Deciding, one byte at a time (at most three per line).
            char c = bytes.front();
            if (c == kBacktracePrefix[m_held.size()]) {
                m_held.push_back(c);
                bytes.remove_prefix(1);
            } else {
                m_sink(m_held);
                m_held.clear();
                m_state = LineState::Passing;
            }
        } else {
            size_t n = newline == std::string_view::npos ? bytes.size() : newline;
            m_held.append(bytes.substr(0, n));
            bytes.remove_prefix(n);
            if (newline == std::string_view::npos) return;
            bytes.remove_prefix(1);
            m_sink(m_symbolize(m_held) + "\n");
            m_held.clear();
        }
    }
}

void StderrStream::finish() {
    if (m_held.size() >= kBacktracePrefix.size())
        m_sink(m_symbolize(m_held));
    else if (!m_held.empty())
        m_sink(m_held);
    m_held.clear();
    m_state = LineState::Holding;
}

} // namespace wisp::cli
