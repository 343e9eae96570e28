// SPDX-License-Identifier: MIT
#include "drivers/virtio/console.h"

#include <string.h>

#include "drivers/interrupts.h"
#include "mm/frames.h"
#include "platform/platform.h"

namespace wisp::drivers::virtio {
namespace {

constexpr uint32_t kDeviceIdConsole = 3;
constexpr unsigned kReceiveQueue = 0, kTransmitQueue = 1; // port 0 (§5.3.2)
constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kUserTop = 0x0000'8000'0000'0000;

Console g_consoles[2];
Console* g_stdout = nullptr;
Console* g_stderr = nullptr;

} // namespace

// Collects the physical runs of what a buffer streams, and sends them a chain at a time.
class Console::Gather final : public fs::ByteSink {
  public:
    explicit Gather(Console& console) : m_console(console) {}
    void put(const char* data, size_t length) override {
        auto address = reinterpret_cast<uint64_t>(data);
        while (length > 0) {
            size_t in_page = kPageSize - (address & (kPageSize - 1));
            if (in_page > length) in_page = length;
            uint64_t paddr;
            if (address < kUserTop) {
                // The stream made the page present just before handing it over.
                uint64_t frame = platform::user_page_phys(address & ~(kPageSize - 1));
                paddr = frame ? (frame & ~(kPageSize - 1)) + (address & (kPageSize - 1)) : 0;
            } else {
                paddr = platform::virt_to_phys(reinterpret_cast<const void*>(address));
            }
            if (paddr != 0) add(paddr, static_cast<uint32_t>(in_page));
            address += in_page;
            length -= in_page;
        }
    }
    void flush() {
        if (m_count) m_console.submit(m_segments, m_count);
        m_count = 0;
    }

  private:
    void add(uint64_t paddr, uint32_t length) {
        if (m_count > 0) {
            Segment& last = m_segments[m_count - 1];
            if (last.paddr + last.length == paddr && last.length <= 0x7fff'ffffu - length) {
                last.length += length;
                return;
            }
        }
        if (m_count == kMaxSegments) flush();
        m_segments[m_count++] = {paddr, length, false};
    }
    Console& m_console;
    Segment m_segments[kMaxSegments];
    size_t m_count = 0;
};

Result<void> Console::open(const MmioParam& where, bool input) {
    TRY(m_transport.open(where, kDeviceIdConsole, 0));
    TRY(m_transport.setup_queue(kReceiveQueue, m_receive));
    TRY(m_transport.setup_queue(kTransmitQueue, m_transmit));
    m_transmit.suppress_interrupts();
    m_input = input;
    m_readable.set_external();
    if (input) {
        for (size_t i = 0; i < kReceiveBuffers; i++) {
            m_buffers[i].paddr = mm::frames().allocate();
            if (m_buffers[i].paddr == 0) return Errno::NOMEM;
        }
        if (!attach_interrupt(m_transport.irq(), false, &Console::interrupt, this))
            return Errno::NODEV;
    } else {
        m_receive.suppress_interrupts();
    }
    m_transport.ready();
    if (input) {
        for (size_t i = 0; i < kReceiveBuffers; i++)
            post(i);
        m_transport.notify(kReceiveQueue);
    }
    return {};
}

void Console::submit(const Segment* segments, size_t count) {
    if (m_transmit.add(segments, count) < 0) return; // cannot happen: one chain at a time
    m_transport.notify(kTransmitQueue);
    // The wisp monitor has consumed the chain when the notify returns; another hypervisor may
    // take a moment (its I/O thread). The buffer is the writer's: wait until it is done.
    uint16_t head;
    uint32_t written;
    while (!m_transmit.take_used(head, written))
        asm volatile("pause");
}

Result<size_t> Console::write(fs::IoBuffer& buffer) {
    if (buffer.size() == 0) return 0;
    Gather gather(*this);
    Result<size_t> streamed = buffer.stream(0, buffer.size(), gather);
    gather.flush();
    return streamed;
}

void Console::write(const char* data, size_t length) {
    Gather gather(*this);
    gather.put(data, length);
    gather.flush();
}

void Console::post(size_t index) {
    Segment segment{m_buffers[index].paddr, static_cast<uint32_t>(kPageSize), true};
    int head = m_receive.add(&segment, 1);
    if (head >= 0) m_by_head[head] = static_cast<uint8_t>(index);
}

void Console::interrupt(void* self) {
    auto& console = *static_cast<Console*>(self);
    console.m_transport.acknowledge_interrupt();
    console.harvest();
}

// Moves the receive buffers the device filled to the FIFO; wakes readers.
void Console::harvest() {
    if (!m_input) return;
    bool any = false;
    uint16_t head;
    uint32_t written;
    while (m_receive.take_used(head, written)) {
        any = true;
        if (written == 0) {
            m_device_ended = true;
            continue;
        }
        size_t index = m_by_head[head];
        m_buffers[index].length = written > kPageSize ? static_cast<uint32_t>(kPageSize) : written;
        m_buffers[index].consumed = 0;
        m_received += m_buffers[index].length;
        m_filled[(m_filled_head + m_filled_count) % kReceiveBuffers] = index;
        m_filled_count++;
    }
    if (any) m_readable.wake_all();
}

bool Console::input_ready() {
    harvest();
    return m_filled_count > 0;
}

bool Console::at_end() {
    harvest();
    return !m_input || (m_filled_count == 0 && (m_device_ended || m_received >= m_end_after));
}

void Console::set_input_end(uint64_t total_bytes) {
    m_end_after = total_bytes;
    m_readable.wake_all();
}

size_t Console::available() {
    harvest();
    size_t total = 0;
    for (size_t i = 0; i < m_filled_count; i++) {
        const ReceiveBuffer& b = m_buffers[m_filled[(m_filled_head + i) % kReceiveBuffers]];
        total += b.length - b.consumed;
    }
    if (m_eof_count > 0 && m_eof_marks[m_eof_head] - m_consumed < total)
        total = static_cast<size_t>(m_eof_marks[m_eof_head] - m_consumed);
    return total;
}

void Console::discard_input() {
    harvest();
    bool reposted = false;
    while (m_filled_count > 0) {
        size_t index = m_filled[m_filled_head];
        m_consumed += m_buffers[index].length - m_buffers[index].consumed;
        m_filled_head = (m_filled_head + 1) % kReceiveBuffers;
        m_filled_count--;
        post(index);
        reposted = true;
    }
    // EOF marks inside what was dropped go with it.
    while (m_eof_count > 0 && m_eof_marks[m_eof_head] < m_consumed) {
        m_eof_head = (m_eof_head + 1) % kMaxEofMarks;
        m_eof_count--;
    }
    if (reposted) m_transport.notify(kReceiveQueue);
}

void Console::add_eof_mark(uint64_t position) {
    if (m_eof_count < kMaxEofMarks && position >= m_consumed) {
        m_eof_marks[(m_eof_head + m_eof_count) % kMaxEofMarks] = position;
        m_eof_count++;
    }
    m_readable.wake_all();
}

bool Console::take_eof_mark() {
    if (m_eof_count == 0 || m_eof_marks[m_eof_head] != m_consumed) return false;
    m_eof_head = (m_eof_head + 1) % kMaxEofMarks;
    m_eof_count--;
    return true;
}

Result<size_t> Console::read(fs::IoBuffer& buffer, bool one_line) {
    harvest();
    size_t limit = buffer.size();
    if (m_eof_count > 0 && m_eof_marks[m_eof_head] - m_consumed < limit)
        limit = static_cast<size_t>(m_eof_marks[m_eof_head] - m_consumed);
    size_t done = 0;
    bool reposted = false, line_ended = false;
    while (done < limit && m_filled_count > 0 && !line_ended) {
        size_t index = m_filled[m_filled_head];
        ReceiveBuffer& b = m_buffers[index];
        const char* data =
            static_cast<const char*>(platform::phys_to_virt(b.paddr + b.consumed));
        size_t n = b.length - b.consumed;
        if (n > limit - done) n = limit - done;
        if (one_line) {
            if (const void* newline = memchr(data, '\n', n)) {
                n = static_cast<size_t>(static_cast<const char*>(newline) - data) + 1;
                line_ended = true;
            }
        }
        Result<void> stored = buffer.store(done, data, n);
        if (stored.is_error()) {
            if (done == 0) return stored.error();
            break;
        }
        b.consumed += static_cast<uint32_t>(n);
        done += n;
        m_consumed += n;
        if (b.consumed == b.length) {
            m_filled_head = (m_filled_head + 1) % kReceiveBuffers;
            m_filled_count--;
            post(index);
            reposted = true;
        }
    }
    if (reposted) m_transport.notify(kReceiveQueue);
    return done;
}

Console* stdout_console() { return g_stdout; }
Console* stderr_console() { return g_stderr; }

void probe_consoles(std::span<const std::string_view> params) {
    size_t found = 0;
    for (std::string_view text : params) {
        if (found == 2) break;
        std::optional<MmioParam> where = parse_mmio_param(text);
        if (!where) continue;
        Console& console = g_consoles[found];
        if (console.open(*where, found == 0).is_error()) continue;
        (found == 0 ? g_stdout : g_stderr) = &console;
        found++;
    }
}

} // namespace wisp::drivers::virtio
