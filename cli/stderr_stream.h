// SPDX-License-Identifier: MIT
#pragma once

// COM2 carries the app's stderr and the kernel's messages. Kernel backtrace lines
// (`  #N 0x<hex>`) are held until complete and passed through a symbolizer; every other byte is
// forwarded as soon as it arrives, so an app's prompt without a newline still shows.
#include <functional>
#include <string>
#include <string_view>

namespace wisp::cli {

class StderrStream {
  public:
    using Sink = std::function<void(std::string_view)>;
    using Symbolizer = std::function<std::string(std::string_view line)>;

    StderrStream(Sink sink, Symbolizer symbolize)
        : m_sink(std::move(sink)), m_symbolize(std::move(symbolize)) {}

    void feed(std::string_view bytes);
    // The stream ended: emits a held partial line as it is.
    void finish();

  private:
    // Holding: the line so far (m_held) could be a backtrace line. Passing: it is not, and its
    // remaining bytes go straight to the sink.
    enum class LineState { Holding, Passing };

    Sink m_sink;
    Symbolizer m_symbolize;
    LineState m_state = LineState::Holding;
    std::string m_held;
};

} // namespace wisp::cli
