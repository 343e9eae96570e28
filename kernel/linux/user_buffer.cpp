// SPDX-License-Identifier: MIT
#include "linux/user_buffer.h"

#include <new>

#include "mm/address_space.h"
#include "mm/frames.h"
#include "platform/platform.h"

namespace wisp::linux {

namespace {
alignas(16) const char kZeros[4096] = {};
}

UserBuffer::UserBuffer(uint64_t address, size_t length)
    : IoBuffer(length), m_single{address, length}, m_iov(&m_single), m_count(1) {}

UserBuffer::UserBuffer(const IoVec* iov, int count, size_t total)
    : IoBuffer(total), m_single{}, m_iov(iov), m_count(count) {}

template<typename Fn>
Result<void> UserBuffer::each_piece(size_t at, size_t length, Fn&& fn) {
    VERIFY(at <= m_size && length <= m_size - at);
    if (at < m_cursor_start) {
        m_cursor_index = 0;
        m_cursor_start = 0;
    }
    size_t done = 0;
    while (done < length) {
        VERIFY(m_cursor_index < m_count);
        const IoVec& v = m_iov[m_cursor_index];
        size_t position = at + done;
        if (position >= m_cursor_start + v.length) {
            m_cursor_start += v.length;
            m_cursor_index++;
            continue;
        }
        size_t offset = position - m_cursor_start;
        size_t chunk = v.length - offset;
        if (chunk > length - done) chunk = length - done;
        TRY(fn(v.base + offset, chunk, done));
        done += chunk;
    }
    return {};
}

namespace {
// The bytes from `address` to the end of its page, at most `left`.
size_t to_page_end(uint64_t address, size_t left) {
    size_t chunk = mm::kPageSize - (address & (mm::kPageSize - 1));
    return chunk < left ? chunk : left;
}
} // namespace

Result<void> UserBuffer::fault_in_store(size_t at, uint64_t address, const char* source,
                                        size_t length) {
    size_t done = 0;
    while (done < length) {
        size_t chunk = to_page_end(address + done, length - done);
        if (copy_to_user(address + done, source + done, chunk).is_error()) break;
        done += chunk;
    }
    note_fault(at + done);
    return Errno::FAULT;
}

Result<void> UserBuffer::fault_in_load(size_t at, char* destination, uint64_t address,
                                       size_t length) {
    size_t done = 0;
    while (done < length) {
        size_t chunk = to_page_end(address + done, length - done);
        if (copy_from_user(destination + done, address + done, chunk).is_error()) break;
        done += chunk;
    }
    note_fault(at + done);
    return Errno::FAULT;
}

Result<void> UserBuffer::store(size_t at, const void* source, size_t length) {
    auto* bytes = static_cast<const char*>(source);
    if (m_iov == &m_single) { // the common case: one range, checked by the caller
        VERIFY(at <= m_size && length <= m_size - at);
        if (copy_to_user(m_single.base + at, source, length).is_error())
            return fault_in_store(at, m_single.base + at, bytes, length);
        return {};
    }
    return each_piece(at, length, [&](uint64_t address, size_t n, size_t done) -> Result<void> {
        if (copy_to_user(address, bytes + done, n).is_error())
            return fault_in_store(at + done, address, bytes + done, n);
        return {};
    });
}

Result<void> UserBuffer::store_zeros(size_t at, size_t length) {
    return each_piece(at, length, [&](uint64_t address, size_t n, size_t done) -> Result<void> {
        for (size_t i = 0; i < n;) {
            size_t chunk = to_page_end(address + i, n - i);
            if (copy_to_user(address + i, kZeros, chunk).is_error()) {
                note_fault(at + done + i);
                return Errno::FAULT;
            }
            i += chunk;
        }
        return {};
    });
}

Result<void> UserBuffer::load(void* destination, size_t at, size_t length) {
    auto* bytes = static_cast<char*>(destination);
    if (m_iov == &m_single) {
        VERIFY(at <= m_size && length <= m_size - at);
        if (copy_from_user(destination, m_single.base + at, length).is_error())
            return fault_in_load(at, bytes, m_single.base + at, length);
        return {};
    }
    return each_piece(at, length, [&](uint64_t address, size_t n, size_t done) -> Result<void> {
        if (copy_from_user(bytes + done, address, n).is_error())
            return fault_in_load(at + done, bytes + done, address, n);
        return {};
    });
}

// Application memory is handed to the sink where it lies: each page is made present (lazy
// mappings resolved) and passed by its own address, so console output is never copied.
Result<size_t> UserBuffer::stream(size_t at, size_t length, fs::ByteSink& sink) {
    size_t streamed = 0;
    auto r = each_piece(at, length, [&](uint64_t address, size_t n, size_t) -> Result<void> {
        if (!user_range_ok(address, n)) return Errno::FAULT;
        size_t done = 0;
        while (done < n) {
            uint64_t here = address + done;
            uint64_t page = here & ~(mm::kPageSize - 1);
            size_t chunk = page + mm::kPageSize - here;
            if (chunk > n - done) chunk = n - done;
            if (platform::user_page_phys(page) == 0 &&
                !mm::address_space().handle_fault(here, false, false, false))
                return Errno::FAULT;
            sink.put(reinterpret_cast<const char*>(here), chunk);
            done += chunk;
            streamed += chunk;
        }
        return {};
    });
    if (r.is_error() && streamed == 0) return r.error();
    return streamed;
}

UserIoVecs::~UserIoVecs() {
    if (m_vecs != m_inline) delete[] m_vecs;
}

Result<void> UserIoVecs::copy_in(UserPtr<const IoVec> iov, int count) {
    if (count < 0 || count > kMaxIoVecs) return Errno::INVAL;
    if (count > kInline) {
        m_vecs = new (std::nothrow) IoVec[count];
        if (!m_vecs) {
            m_vecs = m_inline;
            return Errno::NOMEM;
        }
    }
    if (count) TRY(copy_from_user(m_vecs, iov.address(), count * sizeof(IoVec)));
    m_count = count;
    uint64_t total = 0, sum = 0;
    for (int i = 0; i < count; i++) {
        uint64_t length = m_vecs[i].length;
        if (static_cast<int64_t>(length) < 0) return Errno::INVAL;
        if (length > 0x7fff'ffff'ffff'ffffull - sum) return Errno::INVAL;
        sum += length;
        if (length && !user_range_ok(m_vecs[i].base, length)) return Errno::FAULT;
        // Cap the total: shorten the vector at kMaxIoBytes.
        if (total + length > kMaxIoBytes) {
            m_vecs[i].length = kMaxIoBytes - total;
            length = m_vecs[i].length;
        }
        total += length;
    }
    m_total = total;
    return {};
}

} // namespace wisp::linux
