// SPDX-License-Identifier: MIT
#pragma once

// The control channel (COM3, abi/platform.h): newline-terminated `key=value` records from the
// kernel, e.g. `exit=139` and boot milestones `t.<name>=<tsc>`.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wisp::cli {

class ControlParser {
  public:
    // Feeds bytes as they arrive; records may be split across chunks.
    void feed(std::string_view bytes);
    // Ends the stream: a last record without its newline still counts.
    void finish();
    // Called with each record (key, value) as it is completed.
    std::function<void(std::string_view, std::string_view)> on_record;

    // Records in arrival order; lines without '=' are ignored (a truncated or garbled record
    // must not take the CLI down).
    const std::vector<std::pair<std::string, std::string>>& records() const { return m_records; }
    // Last value for each key.
    std::map<std::string, std::string> latest() const;

  private:
    void take_line(std::string_view line);

    std::string m_partial;
    std::vector<std::pair<std::string, std::string>> m_records;
};

// The value of `key` in `records` as an unsigned number, if present and numeric.
std::optional<uint64_t> control_number(const std::map<std::string, std::string>& records,
                                       const std::string& key);

// A boot milestone: the name after "t." and its TSC value.
struct Milestone {
    std::string name;
    uint64_t tsc;
};
// The `t.<name>=<tsc>` records, ordered by TSC.
std::vector<Milestone> milestones(const std::map<std::string, std::string>& records);

} // namespace wisp::cli
