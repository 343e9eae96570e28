// SPDX-License-Identifier: MIT
#pragma once

// What the wisp kernel and a monitor (the wisp monitor, or the wisp CLI driving QEMU) agree on:
// I/O ports, the exit encoding and the guest-physical layout the wisp monitor uses.
#include <stdint.h>

namespace wisp::abi {

// 16550 UARTs. COM1 carries the application's stdout, COM2 its stderr and the kernel's messages
// (ENOSYS reports, kill reasons, panics). Both are written with `rep outsb` so a whole buffer
// costs one VM exit on KVM.
inline constexpr uint16_t kPortCom1 = 0x3f8;
inline constexpr uint16_t kPortCom2 = 0x2f8;
// COM3 is the control channel: newline-terminated `key=value` records from the kernel to the
// host (exit status, boot milestones). Needed because QEMU's isa-debug-exit can only return
// 7 bits of status to the host.
inline constexpr uint16_t kPortCom3 = 0x3e8;

// The host also sends records to the kernel on COM3 (received bytes, interrupt on GSI 4 as on a
// PC): `signal=N` (deliver signal N to the application, e.g. 2 on Ctrl-C) and `stdin.eof=N`
// (the host's stdin ended after N bytes in total; for monitors whose console cannot mark EOF).
inline constexpr unsigned kGsiControl = 4;

// virtio-mmio devices of the wisp monitor (announced as virtio_mmio.device=4K@BASE:GSI on the
// command line): the first virtio-console carries stdin and stdout, the second stderr.
inline constexpr uint64_t kVirtioMmioBase = 0xd000'0000;
inline constexpr unsigned kVirtioFirstGsi = 5;

// QEMU's isa-debug-exit (iobase 0x501, iosize 2): the kernel writes its exit value here and the
// VM stops. QEMU exits with (value << 1) | 1; the wisp monitor returns the value itself.
inline constexpr uint16_t kPortDebugExit = 0x501;
// Exit value: bits 0..7 the application's status (128+n when killed by signal n);
// kExitPanic set when the kernel panicked.
inline constexpr uint32_t kExitPanic = 0x100;
// `wisp run` returns this when the kernel panicked (distinct from any application status the
// shell convention would produce for ordinary programs).
inline constexpr int kStatusKernelPanic = 125;

// Guest-physical layout used by the wisp monitor. RAM starts at 0 and stays below kMmioGapStart;
// the image is a read-only memory slot at kImageGpa, outside RAM.
inline constexpr uint64_t kMmioGapStart = 0xc000'0000;  // 3 GiB
inline constexpr uint64_t kImageGpa = 0x1'0000'0000;    // 4 GiB
inline constexpr uint64_t kMaxImageSize = 0x1'0000'0000; // 4 GiB

// Kernel load address (physical) and the higher-half base it is linked at.
inline constexpr uint64_t kKernelPhysBase = 0x20'0000;            // 2 MiB
inline constexpr uint64_t kKernelVirtBase = 0xffff'ffff'8000'0000; // -2 GiB
// All guest-physical memory is mapped at kDirectMapBase + paddr.
inline constexpr uint64_t kDirectMapBase = 0xffff'8000'0000'0000;
// Size of the direct map that the boot page tables provide (2 MiB pages).
inline constexpr uint64_t kBootDirectMapSize = 8ull << 30;

} // namespace wisp::abi
