// SPDX-License-Identifier: MIT
#pragma once

// Port I/O: decoding KVM_EXIT_IO and dispatching it to the monitor's few port devices.
//   0x3f8 COM1  -> stdout        0x2f8 COM2 -> stderr        0x3e8 COM3 -> control channel
//   0x501 isa-debug-exit (2 bytes): the guest's exit value
// Other ports read as all-ones (nothing there, like an open ISA bus) and ignore writes.
#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <functional>
#include <span>
#include <string_view>

#include "devices/control_channel.h"
#include "devices/serial.h"

namespace wisp::vmm {

struct PioAccess {
    uint16_t port = 0;
    bool is_write = false;
    uint8_t size = 0;        // bytes per element: 1, 2 or 4
    uint32_t count = 0;      // elements; more than one for string I/O (rep outsb/insb)
    std::span<uint8_t> data; // size * count bytes inside the kvm_run mapping
};

// Decodes run->io after KVM_EXIT_IO. KVM places the data in the kvm_run mapping at
// io.data_offset; nullopt when size * count bytes there would leave [run, run + run_size) or
// the element size is not 1, 2 or 4.
std::optional<PioAccess> decode_pio(kvm_run* run, size_t run_size);

class PortBus {
  public:
    // `control_irq` is COM3's interrupt line (abi::kGsiControl): the host's records to the
    // kernel (send_control) raise it.
    PortBus(OutputSink stdout_sink, OutputSink stderr_sink,
            std::function<void(bool)> control_irq = {});
    PortBus(const PortBus&) = delete;
    PortBus& operator=(const PortBus&) = delete;

    void handle(const PioAccess& access);

    // Set once the guest wrote the debug-exit port: the VM should stop.
    std::optional<uint32_t> exit_value() const { return m_exit_value; }
    ControlChannel& control() { return m_control; }
    // A `key=value` record from the host to the kernel (COM3 receive), e.g. "signal=2".
    void send_control(std::string_view record);

  private:
    Uart16550* uart_at(uint16_t port, uint16_t& offset);
    void write_byte(uint16_t port, uint8_t value);
    uint8_t read_byte(uint16_t port);

    Uart16550 m_com1;
    Uart16550 m_com2;
    Uart16550 m_com3;
    ControlChannel m_control;
    std::optional<uint32_t> m_exit_value;
};

} // namespace wisp::vmm
