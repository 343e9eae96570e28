// SPDX-License-Identifier: MIT
#pragma once

// A 16550 UART with what the kernel needs and nothing more. Transmitted bytes go straight to a
// sink. Received bytes (the host's control records to the kernel on COM3) wait in a FIFO of any
// length; the receive-data interrupt (IER bit 0) is a level on `set_irq`. No baud timing, no
// modem lines. Register offsets per the PC16550D datasheet.
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string_view>
#include <utility>

namespace wisp::vmm {

using OutputSink = std::function<void(std::string_view)>;

class Uart16550 {
  public:
    static constexpr uint16_t kRegisterCount = 8;

    explicit Uart16550(OutputSink sink, std::function<void(bool)> set_irq = {})
        : m_sink(std::move(sink)), m_set_irq(std::move(set_irq)) {}

    // Writes to the transmit register (offset 0): one sink call for the whole buffer, so a
    // `rep outsb` of a line arrives as one chunk. Divisor-latch writes (LCR.DLAB) are dropped.
    void transmit(std::span<const uint8_t> bytes);
    void write(uint16_t offset, uint8_t value);
    uint8_t read(uint16_t offset);
    // Bytes arriving from the host side.
    void receive(std::string_view bytes);

  private:
    static constexpr uint16_t kThr = 0, kIer = 1, kIir = 2, kLcr = 3, kMcr = 4, kLsr = 5, kScr = 7;
    static constexpr uint8_t kLcrDlab = 0x80;
    // LSR: transmitter holding register empty | transmitter empty: always ready to send.
    static constexpr uint8_t kLsrIdle = 0x60, kLsrDataReady = 0x01;
    // IIR: bit 0 set = no interrupt pending; 0x04 = received data available.
    static constexpr uint8_t kIirNoInterrupt = 0x01, kIirReceivedData = 0x04;
    static constexpr uint8_t kIerReceivedData = 0x01;
    void update_irq();

    OutputSink m_sink;
    std::function<void(bool)> m_set_irq;
    std::deque<uint8_t> m_received;
    uint8_t m_ier = 0, m_lcr = 0, m_mcr = 0, m_scr = 0;
    bool m_irq_level = false;
};

} // namespace wisp::vmm
