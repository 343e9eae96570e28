// SPDX-License-Identifier: MIT
#pragma once

// The control channel (COM3, abi/platform.h): newline-terminated `key=value` records from the
// kernel. The guest controls every byte, so a record and the number of keys are capped.
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace wisp::vmm {

class ControlChannel {
  public:
    static constexpr size_t kMaxRecord = 4096; // longer records are dropped whole
    static constexpr size_t kMaxKeys = 1024;   // records with new keys beyond this are dropped

    // Accepts bytes as the guest wrote them; records may span calls.
    void feed(std::string_view bytes);

    // Completed records so far, last value for each key.
    const std::map<std::string, std::string>& records() const { return m_records; }
    std::map<std::string, std::string> take_records() { return std::move(m_records); }
    // Called with each completed record as it arrives (key, value).
    void set_listener(std::function<void(std::string_view, std::string_view)> listener) {
        m_listener = std::move(listener);
    }

  private:
    void complete_record();

    std::map<std::string, std::string> m_records;
    std::string m_partial;
    bool m_overlong = false;
    std::function<void(std::string_view, std::string_view)> m_listener;
};

} // namespace wisp::vmm
