// SPDX-License-Identifier: MIT
#pragma once

// glibc's /etc/ld.so.cache, read the way ld.so reads it (glibc elf/dl-cache.c, formats in
// sysdeps/generic/dl-cache.h): the soname -> path table ldconfig builds from /etc/ld.so.conf,
// consulted after DT_RPATH/DT_RUNPATH and before the default directories.
//
//   offset 0   "glibc-ld.so.cache" "1.1"      (an older file starts with the "ld.so-1.7.0"
//   20         nlibs, len_strings (u32)        table first; the new header follows it,
//   28         flags (u8: 2 = little-endian)   aligned to 8 bytes)
//   32         extension_offset (u32)
//   48         nlibs x { i32 flags; u32 key, value; u32 osversion; u64 hwcap }   (24 bytes)
//              strings: key/value are offsets from the start of this header
//
// The extension directory (magic 0xeaa42174) may carry the glibc-hwcaps subdirectory names
// ("x86-64-v3") that entries with hwcap bit 62 set point to by index.
#include <stdint.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::cli {

// ldconfig's entry flags (glibc sysdeps/generic/ldconfig.h).
inline constexpr int32_t kLdCacheFlagElfLibc6 = 0x0003;
inline constexpr int32_t kLdCacheFlagX8664Lib64 = 0x0300;
// What ld.so on x86-64 accepts (sysdeps/unix/sysv/linux/x86_64/dl-cache.h): exactly this.
inline constexpr int32_t kLdCacheX8664 = kLdCacheFlagElfLibc6 | kLdCacheFlagX8664Lib64;
// hwcap bit 62: the low 32 bits index the glibc-hwcaps subdirectory names.
inline constexpr uint64_t kLdCacheHwcapExtension = uint64_t(1) << 62;

struct LdCacheEntry {
    std::string name; // the key: a soname, e.g. "libc.so.6"
    std::string path; // where ldconfig found it
    int32_t flags = 0;
    uint64_t hwcap = 0;
    std::string hwcaps_subdir; // "x86-64-v3" for a glibc-hwcaps entry, else empty

    bool is_x86_64() const { return flags == kLdCacheX8664; }
};

class LdCache {
  public:
    LdCache() = default;

    // Parses the bytes of a cache file; nullopt when ld.so would not use it (bad magic, wrong
    // byte order, a table or string outside the bytes).
    static std::optional<LdCache> parse(std::span<const uint8_t> bytes);
    // Reads and parses `path`. A missing or unusable file gives an empty cache: ld.so then goes
    // on to the default directories, and so does the resolver.
    static LdCache load(const std::string& path);

    const std::vector<LdCacheEntry>& entries() const { return m_entries; }

    // The x86-64 entries for `name`, the plain one (hwcap 0) first, then any glibc-hwcaps
    // variants, in file order. Empty when the cache does not know the name.
    std::vector<const LdCacheEntry*> find_x86_64(std::string_view name) const;

  private:
    std::vector<LdCacheEntry> m_entries;
};

} // namespace wisp::cli
