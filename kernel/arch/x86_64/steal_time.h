// SPDX-License-Identifier: MIT
#pragma once

// KVM steal time (Linux Documentation/virt/kvm/x86/msr.rst, MSR_KVM_STEAL_TIME): each vCPU
// registers a 64-byte area by guest-physical address, and the host adds to `steal` the time
// the vCPU's host thread spent runnable but not running (its scheduler's run_delay) each time
// it enters the guest. Header-only reader: the host unit tests (unit_time) run it too.
#include <stdint.h>

namespace wisp::x86 {

inline constexpr uint32_t kMsrKvmStealTime = 0x4b564d03;
inline constexpr uint32_t kKvmFeatureStealTime = 1u << 5; // CPUID 0x40000001 EAX
inline constexpr uint64_t kKvmMsrEnabled = 1;             // bit 0 of the MSR value

// Layout of struct kvm_steal_time. The MSR takes its address | kKvmMsrEnabled; bits 1..5 are
// reserved, so the area is 64-byte aligned (and so never straddles a page).
struct alignas(64) KvmStealTime {
    uint64_t steal;   // nanoseconds, accumulated by the host
    uint32_t version; // odd while the host is writing
    uint32_t flags;
    uint8_t preempted;
    uint8_t pad0[3];
    uint32_t pad[11];
};
static_assert(sizeof(KvmStealTime) == 64);

// The steal total as the host last published it, in `steal`; false when it has published
// nothing yet (version 0: KVM writes the area first when it next enters the vCPU after the
// MSR write, making the version at least 2). Version protocol, as for the pvclock: the host
// makes `version` odd, writes, and makes it even again; a copy is consistent when the version
// was even before and unchanged after. The area of the CPU that reads it is never seen odd (the
// host writes it before entering that vCPU); another CPU's can be, briefly.
inline bool read_steal_ns(const KvmStealTime& area, uint64_t& steal) {
    for (;;) {
        uint32_t before = __atomic_load_n(&area.version, __ATOMIC_ACQUIRE);
        uint64_t value = __atomic_load_n(&area.steal, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint32_t after = __atomic_load_n(&area.version, __ATOMIC_RELAXED);
        if ((before & 1) == 0 && before == after) {
            steal = value;
            return before != 0;
        }
        asm volatile("pause");
    }
}

// One CPU's area and what the guest keeps beside it.
struct StealClock {
    KvmStealTime area;
    // The first total the host publishes is not all steal: KVM adds the whole run delay of the
    // vCPU's host thread since that thread began (measured on the development machines: a host
    // CPU hog that shared the thread's core for 1 s before KVM_CREATE_VM showed up as 528 ms in
    // the first update). Steal counts from that first total on.
    uint64_t base;
    bool based;

    // Nanoseconds stolen since the host first wrote the area (0 until it has).
    uint64_t stolen_ns() {
        uint64_t total;
        if (!read_steal_ns(area, total)) return 0;
        if (!based) {
            base = total;
            based = true;
        }
        return total - base;
    }
};

// Kernel only (steal_time.cpp): registers this CPU's area with the host when the hypervisor
// offers steal time (CPUID 0x40000001 EAX bit 5). Each CPU once, while it starts.
void enable_steal_time();
// Reads this CPU's area, so that its base is taken now if the host has written it. Called on
// the way into a program: boot causes exits enough (device setup) for the first update to have
// come, and the base must not wait for the program's first CPU-clock reading, which may come
// after seconds of real steal. (An AP reads its area at its first switch after it halted.)
void settle_steal_base();

} // namespace wisp::x86
