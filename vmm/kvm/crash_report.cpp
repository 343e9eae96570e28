// SPDX-License-Identifier: MIT
#include "kvm/crash_report.h"

#include <cstdio>

namespace wisp::vmm {
namespace {

constexpr uint64_t kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4La57 = 1ull << 12;
constexpr uint64_t kEferLma = 1ull << 10;
constexpr uint64_t kPtePresent = 1, kPteLarge = 0x80;
constexpr uint64_t kPteAddress = 0x000f'ffff'ffff'f000; // bits 51:12

std::string format(const char* fmt, auto... args) {
    char buffer[256];
    std::snprintf(buffer, sizeof buffer, fmt, args...);
    return buffer;
}

} // namespace

std::optional<uint64_t> translate_linear(const GuestMemory& ram, const kvm_sregs& sregs,
                                         uint64_t linear) {
    if (!(sregs.cr0 & kCr0Pg)) return linear & 0xffff'ffff;
    if (!(sregs.efer & kEferLma)) return std::nullopt;
    // Intel SDM Vol. 3A §4.5: 9 address bits per level above the 12-bit page offset.
    int levels = (sregs.cr4 & kCr4La57) ? 5 : 4;
    uint64_t table = sregs.cr3 & kPteAddress;
    for (int level = levels; level >= 1; level--) {
        int shift = 12 + 9 * (level - 1);
        uint64_t index = (linear >> shift) & 0x1ff;
        std::optional<uint64_t> entry = ram.read<uint64_t>(table + index * 8);
        if (!entry || !(*entry & kPtePresent)) return std::nullopt;
        // PS in a PDPTE (1 GiB) or PDE (2 MiB) maps a large page.
        if (level == 1 || ((level == 2 || level == 3) && (*entry & kPteLarge))) {
            uint64_t page_mask = (1ull << shift) - 1;
            return (*entry & kPteAddress & ~page_mask) | (linear & page_mask);
        }
        table = *entry & kPteAddress;
    }
    return std::nullopt;
}

size_t read_linear(const GuestMemory& ram, const GuestMemory& image, const kvm_sregs& sregs,
                   uint64_t linear, std::span<uint8_t> out) {
    size_t done = 0;
    while (done < out.size()) {
        uint64_t address = linear + done;
        std::optional<uint64_t> gpa = translate_linear(ram, sregs, address);
        size_t chunk = std::min<size_t>(out.size() - done, 0x1000 - (address & 0xfff));
        if (!gpa) break;
        if (!ram.read(*gpa, out.data() + done, chunk) &&
            !image.read(*gpa, out.data() + done, chunk))
            break;
        done += chunk;
    }
    return done;
}

uint64_t instruction_pointer(const kvm_regs& regs, const kvm_sregs& sregs) {
    bool long_mode = (sregs.efer & kEferLma) && sregs.cs.l;
    return long_mode ? regs.rip : (sregs.cs.base + regs.rip) & 0xffff'ffff;
}

std::string crash_headline(std::string_view what, const kvm_regs& regs, const kvm_sregs& sregs,
                           const KernelSymbols& symbols) {
    uint64_t ip = instruction_pointer(regs, sregs);
    std::string line = "wisp: guest crashed: " + std::string(what) +
                       format(" at RIP 0x%llx", static_cast<unsigned long long>(ip));
    std::string symbol = symbols.describe(ip);
    if (!symbol.empty()) line += " (" + symbol + ")";
    return line + "\n";
}

std::string crash_report(std::string_view what, const kvm_regs& regs, const kvm_sregs& sregs,
                         const GuestMemory& ram, const GuestMemory& image,
                         const KernelSymbols& symbols) {
    std::string out = crash_headline(what, regs, sregs, symbols);

    uint8_t code[16];
    size_t n = read_linear(ram, image, sregs, instruction_pointer(regs, sregs), code);
    out += "  code:";
    for (size_t i = 0; i < n; i++)
        out += format(" %02x", code[i]);
    if (n == 0) out += " (RIP not mapped to guest memory)";
    out += "\n";

    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    out += format("  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", u(regs.rax), u(regs.rbx),
                  u(regs.rcx), u(regs.rdx));
    out += format("  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n", u(regs.rsi), u(regs.rdi),
                  u(regs.rbp), u(regs.rsp));
    out += format("  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n", u(regs.r8), u(regs.r9),
                  u(regs.r10), u(regs.r11));
    out += format("  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n", u(regs.r12), u(regs.r13),
                  u(regs.r14), u(regs.r15));
    out += format("  rip %016llx rflags %08llx cs %04x ss %04x ds %04x cpl %u\n", u(regs.rip),
                  u(regs.rflags), sregs.cs.selector, sregs.ss.selector, sregs.ds.selector,
                  sregs.ss.dpl);
    out += format("  cr0 %08llx cr2 %016llx cr3 %016llx cr4 %08llx efer %llx\n", u(sregs.cr0),
                  u(sregs.cr2), u(sregs.cr3), u(sregs.cr4), u(sregs.efer));
    out += format("  gdt %016llx/%x idt %016llx/%x\n", u(sregs.gdt.base), sregs.gdt.limit,
                  u(sregs.idt.base), sregs.idt.limit);
    return out;
}

} // namespace wisp::vmm
