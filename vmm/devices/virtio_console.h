// SPDX-License-Identifier: MIT
#pragma once

// virtio-console (virtio 1.2 §5.3), one port, no VIRTIO_CONSOLE_F_MULTIPORT: queue 0 (receiveq)
// carries the host's input to the guest, queue 1 (transmitq) the guest's output to a sink —
// a whole descriptor chain (up to many pages of the application's buffer) per VM exit.
//
// End of input is a wisp convention (virtio-console has none): after the last byte, the device
// returns one receive buffer with length 0. The kernel reads it as EOF.
#include <cstdint>
#include <string>
#include <string_view>

#include "devices/serial.h"
#include "devices/virtio_mmio.h"

namespace wisp::vmm {

class VirtioConsole final : public VirtioDevice {
  public:
    static constexpr unsigned kReceiveQueue = 0, kTransmitQueue = 1;

    explicit VirtioConsole(OutputSink sink) : m_sink(std::move(sink)) {}

    uint32_t device_id() const override { return 3; }
    unsigned queue_count() const override { return 2; }
    std::span<const uint8_t> config() const override;
    void queue_notify(VirtioMmio& transport, unsigned index) override;
    void reset() override {}

    // Host input waiting for guest buffers. add_input appends; end_input marks the end (after
    // what is pending). deliver() moves what fits into the guest's receive buffers.
    void add_input(std::string_view bytes) { m_pending.append(bytes); }
    void end_input() { m_input_ended = true; }
    size_t pending_input() const { return m_pending.size(); }
    bool input_finished() const { return m_eof_sent; }
    void deliver(VirtioMmio& transport);

    // Chains transmitted and receive buffers filled (for exit statistics).
    uint64_t transmitted_chains() const { return m_tx_chains; }

  private:
    void transmit(VirtioMmio& transport);

    OutputSink m_sink;
    std::string m_pending;
    bool m_input_ended = false;
    bool m_eof_sent = false;
    uint64_t m_tx_chains = 0;
};

} // namespace wisp::vmm
