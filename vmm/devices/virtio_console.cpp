// SPDX-License-Identifier: MIT
#include "devices/virtio_console.h"

#include <algorithm>
#include <cstring>

namespace wisp::vmm {
namespace {

// struct virtio_console_config (§5.3.4): cols, rows, max_nr_ports, emerg_wr. Without
// VIRTIO_CONSOLE_F_SIZE/MULTIPORT/EMERG_WRITE the driver reads none of it; zeros.
constexpr uint8_t kConfig[12] = {};

} // namespace

std::span<const uint8_t> VirtioConsole::config() const { return kConfig; }

void VirtioConsole::queue_notify(VirtioMmio& transport, unsigned index) {
    if (index == kTransmitQueue) transmit(transport);
    if (index == kReceiveQueue) deliver(transport);
}

void VirtioConsole::transmit(VirtioMmio& transport) {
    Virtqueue& queue = transport.queue(kTransmitQueue);
    bool used = false;
    while (std::optional<VirtqChain> chain = queue.pop()) {
        for (const VirtqBuffer& buffer : chain->buffers) {
            // §5.3.6.1: transmit buffers are device-readable; writable ones are ignored.
            if (buffer.device_writable || buffer.bytes.empty()) continue;
            if (m_sink)
                m_sink({reinterpret_cast<const char*>(buffer.bytes.data()), buffer.bytes.size()});
        }
        queue.push_used(chain->head, 0);
        used = true;
        m_tx_chains++;
    }
    if (used) transport.notify_used(kTransmitQueue);
}

void VirtioConsole::deliver(VirtioMmio& transport) {
    if (!transport.driver_ok() || m_eof_sent) return;
    Virtqueue& queue = transport.queue(kReceiveQueue);
    bool used = false;
    while (!m_pending.empty() || (m_input_ended && !m_eof_sent)) {
        std::optional<VirtqChain> chain = queue.pop();
        if (!chain) break;
        size_t written = 0;
        for (const VirtqBuffer& buffer : chain->buffers) {
            if (!buffer.device_writable) continue;
            size_t n = std::min(buffer.bytes.size(), m_pending.size() - written);
            if (n) std::memcpy(buffer.bytes.data(), m_pending.data() + written, n);
            written += n;
        }
        m_pending.erase(0, written);
        // A length-0 buffer is the EOF marker: sent once, after the last byte. (A chain with no
        // room while input is pending goes back empty too: the driver broke it itself.)
        if (written == 0 && m_pending.empty()) m_eof_sent = true;
        queue.push_used(chain->head, static_cast<uint32_t>(written));
        used = true;
    }
    if (used) transport.notify_used(kReceiveQueue);
}

} // namespace wisp::vmm
