// SPDX-License-Identifier: MIT
#pragma once

// A write-only 16550 UART: what the kernel's serial output needs and nothing more. Transmitted
// bytes go straight to a sink; there is no receive path (stdin arrives another way), no FIFO
// timing and no interrupts. Register offsets per the PC16550D datasheet.
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <utility>

namespace wisp::vmm {

using OutputSink = std::function<void(std::string_view)>;

class Uart16550 {
  public:
    static constexpr uint16_t kRegisterCount = 8;

    explicit Uart16550(OutputSink sink) : m_sink(std::move(sink)) {}

    // Writes to the transmit register (offset 0): one sink call for the whole buffer, so a
    // `rep outsb` of a line arrives as one chunk. Divisor-latch writes (LCR.DLAB) are dropped.
    void transmit(std::span<const uint8_t> bytes);
    void write(uint16_t offset, uint8_t value);
    uint8_t read(uint16_t offset) const;

  private:
    static constexpr uint16_t kThr = 0, kIer = 1, kIir = 2, kLcr = 3, kMcr = 4, kLsr = 5, kScr = 7;
    static constexpr uint8_t kLcrDlab = 0x80;
    // LSR: transmitter holding register empty | transmitter empty: always ready to send.
    static constexpr uint8_t kLsrIdle = 0x60;
    // IIR: bit 0 set = no interrupt pending.
    static constexpr uint8_t kIirNoInterrupt = 0x01;

    OutputSink m_sink;
    uint8_t m_ier = 0, m_lcr = 0, m_mcr = 0, m_scr = 0;
};

} // namespace wisp::vmm
