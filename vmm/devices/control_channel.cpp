// SPDX-License-Identifier: MIT
#include "devices/control_channel.h"

namespace wisp::vmm {

void ControlChannel::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        size_t newline = bytes.find('\n');
        std::string_view piece = bytes.substr(0, newline);
        if (!m_overlong) {
            if (m_partial.size() + piece.size() > kMaxRecord) {
                m_overlong = true;
                m_partial.clear();
            } else {
                m_partial.append(piece);
            }
        }
        if (newline == std::string_view::npos) return;
        complete_record();
        bytes.remove_prefix(newline + 1);
    }
}

void ControlChannel::complete_record() {
    std::string record = std::move(m_partial);
    m_partial.clear();
    bool overlong = m_overlong;
    m_overlong = false;
    if (overlong) return;
    if (!record.empty() && record.back() == '\r') record.pop_back();
    size_t equals = record.find('=');
    if (equals == std::string::npos || equals == 0) return; // not a record
    std::string key = record.substr(0, equals);
    if (m_listener) m_listener(key, std::string_view(record).substr(equals + 1));
    if (m_records.size() >= kMaxKeys && !m_records.contains(key)) return;
    m_records[std::move(key)] = record.substr(equals + 1);
}

} // namespace wisp::vmm
