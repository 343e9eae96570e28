// SPDX-License-Identifier: MIT
#include <string.h>

#include "net/tcp.h"

namespace wisp::net {

// --- SendBuffer ---

size_t SendBuffer::append(PacketPool& pool, const uint8_t* data, size_t length) {
    size_t done = 0;
    while (done < length) {
        PacketBuffer* last = m_blocks.back();
        size_t room = last ? size_t(last->capacity - last->tail) : 0;
        if (room == 0) {
            Packet block = pool.allocate(0);
            if (!block) break;
            m_blocks.push_back(std::move(block));
            continue;
        }
        size_t n = length - done < room ? length - done : room;
        memcpy(last->storage() + last->tail, data + done, n);
        last->tail = uint16_t(last->tail + n);
        done += n;
    }
    m_size += done;
    return done;
}

void SendBuffer::consume(size_t length) {
    VERIFY(length <= m_size);
    m_size -= length;
    size_t left = length;
    while (left > 0) {
        PacketBuffer* b = m_blocks.front();
        size_t here = size_t(b->tail - b->head);
        if (left < here) {
            b->head = uint16_t(b->head + left);
            break;
        }
        left -= here;
        if (b == m_cursor) m_cursor = nullptr;
        m_blocks.pop_front(); // freed
    }
    if (m_cursor) {
        if (m_cursor == m_blocks.front())
            m_cursor_offset = 0;
        else
            m_cursor_offset -= length;
    }
    // Keep an empty first block around? No: an emptied block is freed above unless partial.
    if (m_size == 0) {
        m_blocks.clear();
        m_cursor = nullptr;
    }
}

void SendBuffer::copy_out(size_t offset, uint8_t* dst, size_t length) {
    VERIFY(offset + length <= m_size);
    PacketBuffer* b = m_blocks.front();
    size_t start = 0;
    if (m_cursor && m_cursor_offset <= offset) {
        b = m_cursor;
        start = m_cursor_offset;
    }
    size_t copied = 0;
    while (b) {
        size_t here = size_t(b->tail - b->head);
        if (offset + copied < start + here) {
            size_t in_block = offset + copied - start;
            size_t n = here - in_block;
            if (n > length - copied) n = length - copied;
            memcpy(dst + copied, b->storage() + b->head + in_block, n);
            copied += n;
            if (copied == length) {
                m_cursor = b;
                m_cursor_offset = start;
                return;
            }
        }
        start += here;
        b = b->queue_next;
    }
    VERIFY(copied == length);
}

void SendBuffer::clear() {
    m_blocks.clear();
    m_size = 0;
    m_cursor = nullptr;
    m_cursor_offset = 0;
}

// --- SackScoreboard ---

void SackScoreboard::add(Seq start, Seq end, Seq snd_una, Seq snd_max) {
    if (start < snd_una) start = snd_una;
    if (end > snd_max) end = snd_max;
    if (end <= start) return;
    SackBlock merged{start, end};
    SackBlock out[kMaxRanges + 1];
    size_t n = 0;
    bool placed = false;
    for (size_t i = 0; i < m_count; i++) {
        const SackBlock& r = m_ranges[i];
        if (r.end < merged.start) {
            out[n++] = r;
        } else if (merged.end < r.start) {
            if (!placed) {
                out[n++] = merged;
                placed = true;
            }
            out[n++] = r;
        } else {
            // Overlapping or adjacent: absorb.
            merged.start = seq_min(merged.start, r.start);
            merged.end = seq_max(merged.end, r.end);
        }
    }
    if (!placed) out[n++] = merged;
    // Too many ranges: forget the highest (its data is just retransmitted needlessly).
    if (n > kMaxRanges) n = kMaxRanges;
    m_count = n;
    m_sacked_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        m_ranges[i] = out[i];
        m_sacked_bytes += seq_distance(out[i].start, out[i].end);
    }
}

void SackScoreboard::advance(Seq snd_una) {
    size_t n = 0;
    m_sacked_bytes = 0;
    for (size_t i = 0; i < m_count; i++) {
        SackBlock r = m_ranges[i];
        if (r.end <= snd_una) continue;
        if (r.start < snd_una) r.start = snd_una;
        m_ranges[n++] = r;
        m_sacked_bytes += seq_distance(r.start, r.end);
    }
    m_count = n;
}

bool SackScoreboard::sacked(Seq seq, Seq& range_end) const {
    for (size_t i = 0; i < m_count; i++) {
        if (seq < m_ranges[i].start) return false;
        if (seq < m_ranges[i].end) {
            range_end = m_ranges[i].end;
            return true;
        }
    }
    return false;
}

uint32_t SackScoreboard::sacked_above(Seq seq) const {
    uint32_t n = 0;
    for (size_t i = 0; i < m_count; i++) {
        const SackBlock& r = m_ranges[i];
        if (r.end <= seq) continue;
        n += seq_distance(seq_max(r.start, seq), r.end);
    }
    return n;
}

uint32_t SackScoreboard::holes_between(Seq from, Seq to) const {
    if (to <= from) return 0;
    uint32_t total = seq_distance(from, to);
    for (size_t i = 0; i < m_count; i++) {
        Seq s = seq_max(m_ranges[i].start, from);
        Seq e = seq_min(m_ranges[i].end, to);
        if (s < e) total -= seq_distance(s, e);
    }
    return total;
}

} // namespace wisp::net
