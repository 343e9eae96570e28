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

uint8_t Uart16550::read(uint16_t offset) const {
    switch (offset) {
    case kIer:
        return (m_lcr & kLcrDlab) ? 0 : m_ier;
    case kIir:
        return kIirNoInterrupt;
    case kLcr:
        return m_lcr;
    case kMcr:
        return m_mcr;
    case kLsr:
        return kLsrIdle;
    case kScr:
        return m_scr;
    default:
        return 0; // RBR (nothing received), MSR, divisor latch
    }
}

} // namespace wisp::vmm
