// SPDX-License-Identifier: MIT
#include "fs/devices.h"

#include "fs/vfs.h"
#include "lib/random.h"

namespace wisp::fs {

namespace {

// Reads end of file; writes vanish.
class NullDevice final : public FileOps {
  public:
    Result<size_t> read(OpenFile&, uint64_t, IoBuffer&) override { return 0; }
    Result<size_t> write(OpenFile&, uint64_t, IoBuffer& b) override { return b.size(); }
    bool seeks_to_zero() const override { return true; }
};

// Reads zeros; writes vanish (zero) or fail with ENOSPC (full).
class ZeroDevice final : public FileOps {
  public:
    explicit ZeroDevice(bool full) : m_full(full) {}
    Result<size_t> read(OpenFile&, uint64_t, IoBuffer& b) override {
        TRY(b.store_zeros(0, b.size()));
        return b.size();
    }
    Result<size_t> write(OpenFile&, uint64_t, IoBuffer& b) override {
        if (m_full) return Errno::NOSPC;
        return b.size();
    }
    bool seeks_to_zero() const override { return true; }

  private:
    bool m_full;
};

// The kernel CSPRNG; written bytes are accepted (and, as on Linux, do not add credited
// entropy).
class RandomDevice final : public FileOps {
  public:
    Result<size_t> read(OpenFile&, uint64_t, IoBuffer& b) override {
        uint8_t chunk[256];
        size_t done = 0;
        size_t count = b.size() < 0x1ff'ffff ? b.size() : 0x1ff'ffff;
        while (done < count) {
            size_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
            random().fill(chunk, n);
            auto r = b.store(done, chunk, n);
            if (r.is_error()) {
                if (done) break;
                return r.error();
            }
            done += n;
        }
        return done;
    }
    Result<size_t> write(OpenFile&, uint64_t, IoBuffer& b) override { return b.size(); }
    bool seeks_to_zero() const override { return true; }
};

NullDevice g_null;
ZeroDevice g_zero(false);
ZeroDevice g_full(true);
RandomDevice g_random;

} // namespace

Result<void> register_memory_devices(Vfs& vfs) {
    TRY(vfs.register_device(kDevNull, g_null));
    TRY(vfs.register_device(kDevZero, g_zero));
    TRY(vfs.register_device(kDevFull, g_full));
    TRY(vfs.register_device(kDevRandom, g_random));
    TRY(vfs.register_device(kDevUrandom, g_random));
    return {};
}

} // namespace wisp::fs
