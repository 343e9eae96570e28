// SPDX-License-Identifier: MIT
// eventfd(2): a 64-bit counter as a file. write adds, read takes the whole count (or 1 with
// EFD_SEMAPHORE); reads of a zero count and writes that would overflow wait (or EAGAIN).
#include "linux/anon_inode.h"
#include "linux/blocking.h"
#include "linux/syscalls.h"

namespace wisp::linux {
namespace {

constexpr int kEfdSemaphore = 1;
constexpr int kEfdCloexec = fs::kOpenCloexec, kEfdNonBlock = fs::kOpenNonBlock;
constexpr uint64_t kMaxCount = ~0ull - 1; // ULLONG_MAX is never reached
constexpr uint32_t kPollIn = 0x1 | 0x40, kPollOut = 0x4 | 0x100;

class EventFd final : public AnonInode {
  public:
    static constexpr Kind kKind = Kind::EventFd;
    EventFd(uint64_t count, bool semaphore)
        : AnonInode(kKind), m_count(count), m_semaphore(semaphore) {}

    Result<size_t> read(fs::OpenFile& file, uint64_t, fs::IoBuffer& buffer) override {
        if (buffer.size() < sizeof(uint64_t)) return Errno::INVAL;
        while (m_count == 0) {
            if (file.non_blocking()) return Errno::AGAIN;
            TRY(wait_for(m_readable, 0, "read from an eventfd nobody writes"));
        }
        // Taken before the copy, as Linux does: a bad buffer loses the count (EFAULT).
        uint64_t value = m_semaphore ? 1 : m_count;
        m_count -= value;
        m_writable.wake_all();
        TRY(buffer.store(0, &value, sizeof(value)));
        return sizeof(value);
    }

    Result<size_t> write(fs::OpenFile& file, uint64_t, fs::IoBuffer& buffer) override {
        if (buffer.size() != sizeof(uint64_t)) return Errno::INVAL; // exactly 8 (Linux 6.x)
        uint64_t value;
        TRY(buffer.load(&value, 0, sizeof(value)));
        if (value == ~0ull) return Errno::INVAL;
        while (kMaxCount - m_count < value) {
            if (file.non_blocking()) return Errno::AGAIN;
            TRY(wait_for(m_writable, 0, "write to a full eventfd nobody reads"));
        }
        m_count += value;
        if (m_count) m_readable.wake_all();
        return sizeof(value);
    }

    uint32_t poll_events(fs::OpenFile&) override {
        uint32_t events = 0;
        if (m_count > 0) events |= kPollIn;
        if (m_count < kMaxCount) events |= kPollOut;
        return events;
    }
    fs::WaitQueue* read_queue() override { return &m_readable; }
    fs::WaitQueue* write_queue() override { return &m_writable; }

  private:
    uint64_t m_count;
    bool m_semaphore;
    fs::WaitQueue m_readable; // woken when the count becomes non-zero
    fs::WaitQueue m_writable; // woken when a read lowered it
};

} // namespace

Result<long> sys_eventfd2(unsigned initial, int flags) {
    if (flags & ~(kEfdSemaphore | kEfdCloexec | kEfdNonBlock)) return Errno::INVAL;
    fs::RefPtr<AnonInode> inode(new (std::nothrow) EventFd(initial, flags & kEfdSemaphore));
    if (!inode) return Errno::NOMEM;
    return install_anon_file(inode, "[eventfd]", fs::kOpenReadWrite | (flags & kEfdNonBlock),
                             flags & kEfdCloexec);
}

Result<long> sys_eventfd(unsigned initial) { return sys_eventfd2(initial, 0); }

} // namespace wisp::linux
