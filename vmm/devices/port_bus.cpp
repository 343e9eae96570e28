// SPDX-License-Identifier: MIT
#include "devices/port_bus.h"

#include <wisp/abi/platform.h>

namespace wisp::vmm {

std::optional<PioAccess> decode_pio(kvm_run* run, size_t run_size) {
    if (run_size < sizeof(kvm_run)) return std::nullopt;
    const auto& io = run->io;
    if (io.size != 1 && io.size != 2 && io.size != 4) return std::nullopt;
    uint64_t length = uint64_t{io.size} * io.count;
    if (io.data_offset > run_size || length > run_size - io.data_offset) return std::nullopt;
    PioAccess access;
    access.port = io.port;
    access.is_write = io.direction == KVM_EXIT_IO_OUT;
    access.size = io.size;
    access.count = io.count;
    access.data = {reinterpret_cast<uint8_t*>(run) + io.data_offset, static_cast<size_t>(length)};
    return access;
}

PortBus::PortBus(OutputSink stdout_sink, OutputSink stderr_sink,
                 std::function<void(bool)> control_irq)
    : m_com1(std::move(stdout_sink)), m_com2(std::move(stderr_sink)),
      m_com3([this](std::string_view bytes) { m_control.feed(bytes); }, std::move(control_irq)) {}

void PortBus::send_control(std::string_view record) {
    m_com3.receive(record);
    m_com3.receive("\n");
}

Uart16550* PortBus::uart_at(uint16_t port, uint16_t& offset) {
    struct {
        uint16_t base;
        Uart16550* uart;
    } const uarts[] = {
        {abi::kPortCom1, &m_com1}, {abi::kPortCom2, &m_com2}, {abi::kPortCom3, &m_com3}};
    for (const auto& u : uarts) {
        if (port >= u.base && port < u.base + Uart16550::kRegisterCount) {
            offset = port - u.base;
            return u.uart;
        }
    }
    return nullptr;
}

void PortBus::handle(const PioAccess& access) {
    if (access.data.size() < size_t{access.size} * access.count) return; // not from decode_pio
    if (access.is_write) {
        // QEMU's isa-debug-exit is one 2-byte register at 0x501; any write to it stops the VM
        // with the value written (for string I/O, the first element).
        if (access.port >= abi::kPortDebugExit && access.port < abi::kPortDebugExit + 2 &&
            access.count > 0) {
            uint32_t value = 0;
            for (unsigned i = 0; i < access.size; i++)
                value |= uint32_t{access.data[i]} << (8 * i);
            m_exit_value = value;
            return;
        }
        uint16_t offset;
        Uart16550* uart = uart_at(access.port, offset);
        if (uart && offset == 0 && access.size == 1) {
            uart->transmit(access.data); // the fast path: a whole `rep outsb` buffer
            return;
        }
    }
    // The general case: an access of n bytes at port p touches ports p .. p+n-1.
    for (uint32_t element = 0; element < access.count; element++) {
        for (unsigned i = 0; i < access.size; i++) {
            uint8_t& byte = access.data[size_t{element} * access.size + i];
            auto port = static_cast<uint16_t>(access.port + i);
            if (access.is_write)
                write_byte(port, byte);
            else
                byte = read_byte(port);
        }
    }
}

void PortBus::write_byte(uint16_t port, uint8_t value) {
    uint16_t offset;
    if (Uart16550* uart = uart_at(port, offset)) uart->write(offset, value);
}

uint8_t PortBus::read_byte(uint16_t port) {
    uint16_t offset;
    if (Uart16550* uart = uart_at(port, offset)) return uart->read(offset);
    return 0xff;
}

} // namespace wisp::vmm
