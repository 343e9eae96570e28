// SPDX-License-Identifier: MIT
#include "ldcache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace wisp::cli {

namespace {

constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache";
constexpr std::string_view kNewVersion = "1.1";
constexpr size_t kOldHeaderSize = 16; // magic[11], pad, u32 nlibs
constexpr size_t kOldEntrySize = 12;  // i32 flags, u32 key, u32 value
constexpr size_t kNewHeaderSize = 48;
constexpr size_t kNewEntrySize = 24;
constexpr uint8_t kEndianUnset = 0;
constexpr uint8_t kEndianLittle = 2;
constexpr uint32_t kExtensionMagic = 0xeaa42174;
constexpr uint32_t kExtensionTagGlibcHwcaps = 1;

// A bounds-checked little-endian view of the new-format part of the file.
class Reader {
  public:
    explicit Reader(std::span<const uint8_t> bytes) : m_bytes(bytes) {}
    size_t size() const { return m_bytes.size(); }
    bool has(uint64_t offset, uint64_t length) const {
        return offset <= m_bytes.size() && length <= m_bytes.size() - offset;
    }
    template<typename T>
    std::optional<T> at(uint64_t offset) const {
        if (!has(offset, sizeof(T))) return std::nullopt;
        T value;
        std::memcpy(&value, m_bytes.data() + offset, sizeof value);
        return value;
    }
    // A NUL-terminated string starting at `offset`.
    std::optional<std::string> string(uint64_t offset) const {
        if (offset >= m_bytes.size()) return std::nullopt;
        const auto* start = m_bytes.data() + offset;
        const void* nul = std::memchr(start, 0, m_bytes.size() - offset);
        if (!nul) return std::nullopt;
        return std::string(reinterpret_cast<const char*>(start),
                           static_cast<const uint8_t*>(nul) - start);
    }
    std::string_view text(uint64_t offset, size_t length) const {
        if (!has(offset, length)) return {};
        return {reinterpret_cast<const char*>(m_bytes.data() + offset), length};
    }

  private:
    std::span<const uint8_t> m_bytes;
};

// The glibc-hwcaps subdirectory names of the extension directory, empty if it has none.
std::optional<std::vector<std::string>> hwcaps_names(const Reader& cache,
                                                     uint32_t extension_offset) {
    std::vector<std::string> names;
    if (extension_offset == 0) return names;
    auto magic = cache.at<uint32_t>(extension_offset);
    auto count = cache.at<uint32_t>(extension_offset + 4);
    if (!magic || !count || *magic != kExtensionMagic) return std::nullopt;
    for (uint32_t i = 0; i < *count; i++) {
        const uint64_t section = uint64_t(extension_offset) + 8 + uint64_t(i) * 16;
        auto tag = cache.at<uint32_t>(section);
        auto offset = cache.at<uint32_t>(section + 8);
        auto size = cache.at<uint32_t>(section + 12);
        if (!tag || !offset || !size) return std::nullopt;
        if (*tag != kExtensionTagGlibcHwcaps) continue;
        // An array of u32 string offsets.
        if (*size % 4 != 0 || !cache.has(*offset, *size)) return std::nullopt;
        for (uint32_t j = 0; j < *size / 4; j++) {
            auto name = cache.string(*cache.at<uint32_t>(*offset + 4 * uint64_t(j)));
            if (!name) return std::nullopt;
            names.push_back(std::move(*name));
        }
    }
    return names;
}

} // namespace

std::optional<LdCache> LdCache::parse(std::span<const uint8_t> bytes) {
    size_t start = 0;
    if (Reader(bytes).text(0, kOldMagic.size()) == kOldMagic) {
        // The old table, then the new format aligned to 8 bytes (dl-cache.c ALIGN_CACHE). A file
        // with only the old table (written before glibc 2.32 with --format=old) is not read.
        auto old_count = Reader(bytes).at<uint32_t>(kOldMagic.size() + 1);
        if (!old_count) return std::nullopt;
        uint64_t end = kOldHeaderSize + uint64_t(*old_count) * kOldEntrySize;
        start = static_cast<size_t>((end + 7) & ~uint64_t(7));
        if (start > bytes.size()) return std::nullopt;
    }
    const Reader cache(bytes.subspan(start));
    if (cache.text(0, kNewMagic.size()) != kNewMagic ||
        cache.text(kNewMagic.size(), kNewVersion.size()) != kNewVersion)
        return std::nullopt;
    auto count = cache.at<uint32_t>(20);
    auto endian = cache.at<uint8_t>(28);
    auto extension_offset = cache.at<uint32_t>(32);
    if (!count || !endian || !extension_offset) return std::nullopt;
    if (*endian != kEndianUnset && *endian != kEndianLittle) return std::nullopt;
    if (!cache.has(kNewHeaderSize, uint64_t(*count) * kNewEntrySize)) return std::nullopt;
    auto subdirs = hwcaps_names(cache, *extension_offset);
    if (!subdirs) return std::nullopt;

    LdCache result;
    result.m_entries.reserve(*count);
    for (uint32_t i = 0; i < *count; i++) {
        const uint64_t at = kNewHeaderSize + uint64_t(i) * kNewEntrySize;
        LdCacheEntry entry;
        entry.flags = *cache.at<int32_t>(at);
        auto key = cache.string(*cache.at<uint32_t>(at + 4));
        auto value = cache.string(*cache.at<uint32_t>(at + 8));
        if (!key || !value) return std::nullopt;
        entry.name = std::move(*key);
        entry.path = std::move(*value);
        entry.hwcap = *cache.at<uint64_t>(at + 16);
        if (entry.hwcap & kLdCacheHwcapExtension) {
            const uint32_t index = static_cast<uint32_t>(entry.hwcap);
            if (index >= subdirs->size()) return std::nullopt;
            entry.hwcaps_subdir = (*subdirs)[index];
        }
        result.m_entries.push_back(std::move(entry));
    }
    return result;
}

LdCache LdCache::load(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        ::close(fd);
        return {};
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* bytes = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (bytes == MAP_FAILED) return {};
    auto parsed = parse({static_cast<const uint8_t*>(bytes), size});
    ::munmap(bytes, size);
    return parsed ? std::move(*parsed) : LdCache{};
}

std::vector<const LdCacheEntry*> LdCache::find_x86_64(std::string_view name) const {
    std::vector<const LdCacheEntry*> plain, variants;
    for (const auto& entry : m_entries) {
        if (entry.name != name || !entry.is_x86_64()) continue;
        (entry.hwcap == 0 ? plain : variants).push_back(&entry);
    }
    plain.insert(plain.end(), variants.begin(), variants.end());
    return plain;
}

} // namespace wisp::cli
