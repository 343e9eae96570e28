// SPDX-License-Identifier: MIT
#include "linux/initial_stack.h"

#include <string.h>

namespace wisp::elf {
namespace {

constexpr size_t kWord = sizeof(uint64_t);
constexpr size_t kRandomBytes = 16;

// Fills the stack memory downwards from the top. Addresses are user addresses; `m_low` is the
// user address of the memory's first byte, and nothing below it is ever touched. A measuring
// writer (kWrites false) has no memory: lay_out() runs the same code with it, down to address 0,
// with the writes compiled out, so the size computation can never disagree with the builder.
template<bool kWrites>
class StackWriter {
  public:
    StackWriter(std::span<uint8_t> memory, uint64_t top) requires(kWrites)
        : m_memory(memory), m_low(top - memory.size()), m_cursor(top) {}
    explicit StackWriter(uint64_t top) requires(!kWrites) : m_low(0), m_cursor(top) {}

    uint64_t cursor() const { return m_cursor; }
    bool has_room(uint64_t bytes) const { return bytes <= m_cursor - m_low; }

    // Moves the cursor down by `bytes` and returns the new cursor, or TOOBIG.
    Result<uint64_t> reserve(uint64_t bytes) {
        if (!has_room(bytes)) return Errno::TOOBIG;
        m_cursor -= bytes;
        return m_cursor;
    }
    // Moves the cursor down to a multiple of `alignment`, zeroing the bytes it passes.
    Result<void> align_down(uint64_t alignment) {
        const uint64_t padding = m_cursor % alignment;
        const uint64_t at = TRY(reserve(padding));
        zero(at, padding);
        return {};
    }

    void put(uint64_t address, const void* bytes, size_t length) {
        if constexpr (kWrites) memcpy(at(address), bytes, length);
    }
    // A constant-size builtin: one move even in the -ffreestanding kernel build.
    void put_word(uint64_t address, uint64_t value) {
        if constexpr (kWrites) __builtin_memcpy(at(address), &value, kWord);
    }
    void zero(uint64_t address, size_t length) {
        if constexpr (kWrites) memset(at(address), 0, length);
    }
    // Copies `s` and a NUL to `address`, returns the address just past the NUL.
    uint64_t put_string(uint64_t address, std::string_view s) {
        if constexpr (kWrites) {
            memcpy(at(address), s.data(), s.size());
            at(address)[s.size()] = '\0';
        }
        return address + s.size() + 1;
    }

  private:
    uint8_t* at(uint64_t address) { return m_memory.data() + (address - m_low); }

    std::span<uint8_t> m_memory;
    uint64_t m_low;
    uint64_t m_cursor;
};

// Bytes the strings take, NULs included; TOOBIG as soon as the total exceeds `limit` or one string
// exceeds kMaxArgStringBytes (so the sum never overflows).
Result<uint64_t> strings_size(std::span<const std::string_view> strings, uint64_t limit) {
    uint64_t total = 0;
    for (auto s : strings) {
        if (s.size() >= kMaxArgStringBytes) return Errno::TOOBIG;
        total += s.size() + 1;
        if (total > limit) return Errno::TOOBIG;
    }
    return total;
}

// One auxv pair, as it lies on the stack: the table is built here and copied in one piece.
struct AuxEntry {
    uint64_t key;
    uint64_t value;
};
static_assert(sizeof(AuxEntry) == 2 * kWord);
// Linux emits at most 22 entries on x86-64 plus AT_NULL; a few spare.
constexpr size_t kMaxAuxEntries = 28;

template<bool kWrites>
Result<InitialStack> lay_out(StackWriter<kWrites>& stack, uint64_t capacity,
                             std::span<const std::string_view> argv,
                             std::span<const std::string_view> envp, const AuxvInputs& aux) {
    InitialStack result{};

    // Linux starts one pointer below the top of the stack VMA and leaves it zero.
    const uint64_t end_marker = TRY(stack.reserve(kWord));
    stack.zero(end_marker, kWord);

    // Strings, in ascending addresses: argv, envp, then the exec'd path (Linux copies the
    // filename first, then envp and argv below it, each list last-to-first).
    if (aux.execfn.size() >= kMaxArgStringBytes) return Errno::TOOBIG;
    const uint64_t execfn = TRY(stack.reserve(aux.execfn.size() + 1));
    stack.put_string(execfn, aux.execfn);
    const uint64_t env_bytes = TRY(strings_size(envp, capacity));
    const uint64_t arg_bytes = TRY(strings_size(argv, capacity));
    result.env_start = TRY(stack.reserve(env_bytes));
    result.arg_start = TRY(stack.reserve(arg_bytes));
    uint64_t next = result.arg_start;
    for (auto s : argv)
        next = stack.put_string(next, s);
    result.arg_end = next;
    for (auto s : envp)
        next = stack.put_string(next, s);
    result.env_end = next;

    // arch_align_stack (without its random offset: the caller randomizes user_stack_top), then
    // the platform string and the AT_RANDOM bytes, both unaligned, as in create_elf_tables.
    TRY(stack.align_down(16));
    uint64_t platform = 0;
    if (!aux.platform.empty()) {
        if (aux.platform.size() >= kMaxArgStringBytes) return Errno::TOOBIG;
        platform = TRY(stack.reserve(aux.platform.size() + 1));
        stack.put_string(platform, aux.platform);
    }
    const uint64_t random = TRY(stack.reserve(kRandomBytes));
    stack.put(random, aux.random.data(), kRandomBytes);

    // The auxiliary vector, in create_elf_tables order (ARCH_DLINFO entries first).
    AuxEntry entries[kMaxAuxEntries];
    size_t n = 0;
    auto add = [&](uint64_t key, uint64_t value) { entries[n++] = {key, value}; };
    if (aux.sysinfo_ehdr != 0) add(kAtSysinfoEhdr, aux.sysinfo_ehdr);
    if (aux.minsigstksz != 0) add(kAtMinsigstksz, aux.minsigstksz);
    add(kAtHwcap, aux.hwcap);
    add(kAtPagesz, aux.pagesz);
    add(kAtClktck, aux.clktck);
    add(kAtPhdr, aux.phdr);
    add(kAtPhent, aux.phent);
    add(kAtPhnum, aux.phnum);
    add(kAtBase, aux.base);
    add(kAtFlags, aux.flags);
    add(kAtEntry, aux.entry);
    add(kAtUid, aux.uid);
    add(kAtEuid, aux.euid);
    add(kAtGid, aux.gid);
    add(kAtEgid, aux.egid);
    add(kAtSecure, aux.secure);
    add(kAtRandom, random);
    add(kAtHwcap2, aux.hwcap2);
    add(kAtExecfn, execfn);
    if (platform != 0) add(kAtPlatform, platform);
    if (aux.rseq_feature_size != 0) {
        add(kAtRseqFeatureSize, aux.rseq_feature_size);
        add(kAtRseqAlign, aux.rseq_align);
    }
    add(kAtNull, 0);
    VERIFY(n <= kMaxAuxEntries);

    // argc, argv[], NULL, envp[], NULL, auxv: contiguous words from rsp, with rsp rounded down to
    // 16 bytes (Linux's STACK_ROUND), which leaves the padding between auxv and AT_RANDOM.
    // Bound the counts first so the word count cannot overflow.
    if (argv.size() > capacity / kWord || envp.size() > capacity / kWord) return Errno::TOOBIG;
    const uint64_t words = 1 + (argv.size() + 1) + (envp.size() + 1) + 2 * n;
    const uint64_t vectors_top = stack.cursor();
    const uint64_t vectors = TRY(stack.reserve(words * kWord));
    const uint64_t rsp = TRY(stack.reserve(vectors % 16));
    const uint64_t vectors_end = rsp + words * kWord;
    stack.zero(vectors_end, vectors_top - vectors_end);

    uint64_t word = rsp;
    auto push = [&](uint64_t value) {
        stack.put_word(word, value);
        word += kWord;
    };
    push(argv.size());
    next = result.arg_start;
    for (auto s : argv) {
        push(next);
        next += s.size() + 1;
    }
    push(0);
    for (auto s : envp) {
        push(next);
        next += s.size() + 1;
    }
    push(0);
    result.auxv = word;
    stack.put(word, entries, n * sizeof(AuxEntry));
    word += n * sizeof(AuxEntry);
    result.auxv_end = word;
    VERIFY(word == vectors_end);

    result.rsp = rsp;
    return result;
}

} // namespace

Result<InitialStack> build_initial_stack(std::span<uint8_t> top_of_stack_memory,
                                         uint64_t user_stack_top,
                                         std::span<const std::string_view> argv,
                                         std::span<const std::string_view> envp,
                                         const AuxvInputs& aux) {
    if (user_stack_top < top_of_stack_memory.size()) return Errno::INVAL;
    StackWriter<true> stack(top_of_stack_memory, user_stack_top);
    return lay_out(stack, top_of_stack_memory.size(), argv, envp, aux);
}

Result<uint64_t> initial_stack_size(uint64_t user_stack_top, std::span<const std::string_view> argv,
                                    std::span<const std::string_view> envp, const AuxvInputs& aux) {
    StackWriter<false> stack(user_stack_top);
    const InitialStack layout = TRY(lay_out(stack, user_stack_top, argv, envp, aux));
    return user_stack_top - layout.rsp;
}

} // namespace wisp::elf
