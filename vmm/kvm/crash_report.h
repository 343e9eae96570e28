// SPDX-License-Identifier: MIT
#pragma once

// What the monitor prints when the guest dies (DESIGN.md §3): one headline with RIP and the
// kernel symbol, the instruction bytes there, the registers.
#include <linux/kvm.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "boot/symbols.h"
#include "kvm/guest_memory.h"

namespace wisp::vmm {

// Guest-physical address of a linear address under the vCPU's current paging mode: identity
// with paging off, else a walk of the 4- or 5-level long-mode page tables at CR3 (4 KiB,
// 2 MiB and 1 GiB pages). nullopt when not mapped, the tables lie outside RAM, or the mode is
// 32-bit paging (which the kernel only passes through).
std::optional<uint64_t> translate_linear(const GuestMemory& ram, const kvm_sregs& sregs,
                                         uint64_t linear);

// Copies guest memory at a linear address into out, page by page, from RAM or the image (where
// the application's code lives); returns the number of bytes copied (fewer when a page is not
// mapped). Page tables are read from RAM only.
size_t read_linear(const GuestMemory& ram, const GuestMemory& image, const kvm_sregs& sregs,
                   uint64_t linear, std::span<uint8_t> out);

// The linear address of the instruction pointer (CS base applies outside long mode).
uint64_t instruction_pointer(const kvm_regs& regs, const kvm_sregs& sregs);

// "wisp: guest crashed: <what> at RIP 0x... (symbol+0x..)", newline-terminated.
std::string crash_headline(std::string_view what, const kvm_regs& regs, const kvm_sregs& sregs,
                           const KernelSymbols& symbols);

// The headline followed by the instruction bytes at RIP and the registers. image may be empty.
std::string crash_report(std::string_view what, const kvm_regs& regs, const kvm_sregs& sregs,
                         const GuestMemory& ram, const GuestMemory& image,
                         const KernelSymbols& symbols);

} // namespace wisp::vmm
