// SPDX-License-Identifier: MIT
#pragma once

// virtio-console (virtio 1.2 §5.3), one port (no MULTIPORT). Output: the pages of the writer's
// buffer go to the device as one descriptor chain (up to kMaxSegments physically contiguous
// runs) and one notify — one VM exit per write() of up to 128 KiB instead of one per byte on
// the serial port. The transmit queue is polled, not interrupt-driven: on the wisp monitor the
// chain is done when the notify returns. Input: kReceiveBuffers pages posted to the device; its
// interrupt moves filled ones to a FIFO that read() copies from. A receive buffer returned with
// length 0 marks the end of the input (the wisp monitor's convention), as does reaching the
// byte count announced by set_input_end (the control channel's `stdin.eof=N`).
#include <stddef.h>
#include <stdint.h>

#include <span>
#include <string_view>

#include "drivers/virtio/mmio.h"
#include "drivers/virtio/virtqueue.h"
#include "fs/io_buffer.h"
#include "fs/wait_queue.h"

namespace wisp::drivers::virtio {

class Console {
  public:
    static constexpr size_t kMaxSegments = 32;
    static constexpr size_t kReceiveBuffers = 8;

    // Finds and starts the device; with `input`, posts receive buffers and takes its interrupt.
    Result<void> open(const MmioParam& where, bool input);

    // Writes all of `buffer` (zero copy); returns the bytes written, or EFAULT when none could.
    Result<size_t> write(fs::IoBuffer& buffer);
    // Writes kernel memory.
    void write(const char* data, size_t length);

    // Copies waiting input into `buffer`; 0 when none is waiting (see at_end()). With
    // `one_line`, stops after a newline (a terminal's canonical read); never reads past an EOF
    // mark.
    Result<size_t> read(fs::IoBuffer& buffer, bool one_line = false);
    bool input_ready();
    // Bytes a read would return now (FIONREAD).
    size_t available();
    // Drops the input received so far (TCSETSF, TCFLSH).
    void discard_input();
    // A terminal's end-of-file key: one read returns 0 once `position` bytes have been read in
    // all (the `tty.eof=N` record). take_eof_mark() is true, once, when the reader is there.
    void add_eof_mark(uint64_t position);
    bool take_eof_mark();
    // No input is waiting and none will come.
    bool at_end();
    void set_input_end(uint64_t total_bytes);
    // Woken when input arrives or ends.
    fs::WaitQueue& readable_queue() { return m_readable; }

  private:
    class Gather;
    static void interrupt(void* self);
    void harvest();
    void submit(const Segment* segments, size_t count);
    void post(size_t buffer);

    MmioTransport m_transport;
    Virtqueue m_receive, m_transmit;
    bool m_input = false;
    // Receive buffers: one frame each. m_by_head maps a descriptor head to its buffer.
    struct ReceiveBuffer {
        uint64_t paddr = 0;
        uint32_t length = 0, consumed = 0;
    };
    ReceiveBuffer m_buffers[kReceiveBuffers];
    uint8_t m_by_head[Virtqueue::kMaxSize] = {};
    size_t m_filled[kReceiveBuffers] = {}; // FIFO of filled buffers
    size_t m_filled_head = 0, m_filled_count = 0;
    bool m_device_ended = false;   // the zero-length buffer arrived
    uint64_t m_received = 0;       // bytes the device delivered so far
    uint64_t m_end_after = ~0ull;  // the control channel's total, if it sent one
    uint64_t m_consumed = 0;       // bytes read() handed out (or discarded)
    static constexpr size_t kMaxEofMarks = 8;
    uint64_t m_eof_marks[kMaxEofMarks] = {}; // FIFO of positions
    size_t m_eof_head = 0, m_eof_count = 0;
    fs::WaitQueue m_readable;
};

// The consoles the command line announced: the first virtio-console device carries stdin and
// stdout, the second stderr. nullptr when absent (then the serial ports serve).
Console* stdout_console();
Console* stderr_console();
// Probes every `virtio_mmio.device=` value; devices that are not consoles are left alone.
void probe_consoles(std::span<const std::string_view> params);

} // namespace wisp::drivers::virtio
