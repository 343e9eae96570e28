// SPDX-License-Identifier: MIT
#include "net/host/host.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <stdexcept>

namespace wisp::net::host {

void* HeapMemory::allocate(size_t size, size_t alignment) {
    if (alignment < sizeof(void*)) alignment = sizeof(void*);
    size_t rounded = (size + alignment - 1) / alignment * alignment;
    void* p = aligned_alloc(alignment, rounded);
    if (p) m_outstanding += size;
    return p;
}

void HeapMemory::release(void* memory, size_t size) {
    m_outstanding -= size;
    free(memory);
}

uint64_t MonotonicClock::now_us() const {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000 + uint64_t(ts.tv_nsec) / 1000;
}

uint64_t SeededRandom::next() {
    uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void SeededRandom::fill(void* buffer, size_t length) {
    auto* p = static_cast<uint8_t*>(buffer);
    while (length > 0) {
        uint64_t v = next();
        size_t n = length < 8 ? length : 8;
        memcpy(p, &v, n);
        p += n;
        length -= n;
    }
}

void SystemRandom::fill(void* buffer, size_t length) {
    auto* p = static_cast<uint8_t*>(buffer);
    while (length > 0) {
        ssize_t n = getrandom(p, length, 0);
        if (n < 0) throw std::runtime_error("getrandom failed");
        p += n;
        length -= size_t(n);
    }
}

void CaptureNic::transmit(Packet&& frame) {
    std::vector<uint8_t> bytes(frame.total_length());
    frame.copy_out(0, bytes.data(), bytes.size());
    frames.push_back(std::move(bytes));
}

Packet make_rx_packet(PacketPool& pool, const uint8_t* bytes, size_t length) {
    Packet p = pool.allocate(0);
    if (!p) return p;
    // Like a virtio-net receive buffer: the frame lands after a small driver header, which
    // leaves headroom for answering in place.
    p.reset_to_headroom(64);
    if (length > p.tailroom()) length = p.tailroom();
    if (length > 0) memcpy(p.put(length), bytes, length);
    return p;
}

} // namespace wisp::net::host
