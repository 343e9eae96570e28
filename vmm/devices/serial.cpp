// SPDX-License-Identifier: MIT
#include "devices/serial.h"

namespace wisp::vmm {

void Uart16550::transmit(std::span<const uint8_t> bytes) {
    if (bytes.empty() || (m_lcr & kLcrDlab)) return;
    if (m_sink) m_sink({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

void Uart16550::write(uint16_t offset, uint8_t value) {
    switch (offset) {
    case kThr:
        transmit({&value, 1});
        break;
    case kIer:
        if (!(m_lcr & kLcrDlab)) m_ier = value & 0x0f;
        update_irq();
        break;
    case kLcr:
        m_lcr = value;
        break;
    case kMcr:
        m_mcr = value & 0x1f;
        break;
    case kScr:
        m_scr = value;
        break;
    default:
        break; // FCR, divisor latch, read-only registers
    }
}

void Uart16550::receive(std::string_view bytes) {
    m_received.insert(m_received.end(), bytes.begin(), bytes.end());
    update_irq();
}

void Uart16550::update_irq() {
    bool level = (m_ier & kIerReceivedData) && !m_received.empty();
    if (level == m_irq_level) return;
    m_irq_level = level;
    if (m_set_irq) m_set_irq(level);
}

uint8_t Uart16550::read(uint16_t offset) {
    switch (offset) {
    case kThr: { // RBR when read
        if ((m_lcr & kLcrDlab) || m_received.empty()) return 0;
        uint8_t byte = m_received.front();
        m_received.pop_front();
        update_irq();
        return byte;
    }
    case kIer:
        return (m_lcr & kLcrDlab) ? 0 : m_ier;
    case kIir:
        return (m_ier & kIerReceivedData) && !m_received.empty() ? kIirReceivedData
                                                                 : kIirNoInterrupt;
    case kLcr:
        return m_lcr;
    case kMcr:
        return m_mcr;
    case kLsr:
        return kLsrIdle | (m_received.empty() ? 0 : kLsrDataReady);
    case kScr:
        return m_scr;
    default:
        return 0; // MSR, divisor latch
    }
}

} // namespace wisp::vmm
