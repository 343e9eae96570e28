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

Result<void> UserBuffer::store(size_t at, const void* source, size_t length) {
    if (m_iov == &m_single) { // the common case: one range, checked by the caller
        VERIFY(at <= m_size && length <= m_size - at);
        return copy_to_user(m_single.base + at, source, length);
    }
    auto* bytes = static_cast<const char*>(source);
    return each_piece(at, length, [&](uint64_t address, size_t n, size_t done) {
        return copy_to_user(address, bytes + done, n);
    });
}

Result<void> UserBuffer::store_zeros(size_t at, size_t length) {
    return each_piece(at, length, [&](uint64_t address, size_t n, size_t) -> Result<void> {
        for (size_t i = 0; i < n; i += sizeof(kZeros)) {
            size_t chunk = n - i < sizeof(kZeros) ? n - i : sizeof(kZeros);
            TRY(copy_to_user(address + i, kZeros, chunk));
        }
        return {};
    });
}

Result<void> UserBuffer::load(void* destination, size_t at, size_t length) {
    if (m_iov == &m_single) {
        VERIFY(at <= m_size && length <= m_size - at);
        return copy_from_user(destination, m_single.base + at, length);
    }
    auto* bytes = static_cast<char*>(destination);
    return each_piece(at, length, [&](uint64_t address, size_t n, size_t done) {
        return copy_from_user(bytes + done, address, n);
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
