// SPDX-License-Identifier: MIT
// Steal time: each vCPU gives the host an area to report in (steal_time.h), and the core reads
// it through platform::stolen_ns (time/run_clock.h subtracts it from CPU-time clocks).
#include "arch/x86_64/steal_time.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "platform/platform.h"

namespace wisp::x86 {
namespace {

// One per CPU, by index. In .bss: RAM arrives zeroed, so an area reads as unpublished until the
// host writes it.
StealClock g_steal[kMaxCpus];
bool g_steal_enabled = false; // set by the boot CPU before any AP starts

} // namespace

void enable_steal_time() {
    unsigned index = cpu_index();
    if (index == 0) g_steal_enabled = (kvm_features() & kKvmFeatureStealTime) != 0;
    if (!g_steal_enabled) return;
    wrmsr(kMsrKvmStealTime, platform::virt_to_phys(&g_steal[index].area) | kKvmMsrEnabled);
}

void settle_steal_base() {
    if (g_steal_enabled) (void)g_steal[cpu_index()].stolen_ns();
}

} // namespace wisp::x86

namespace wisp::platform {

// Callers hold the big kernel lock (the first reading of a CPU's area sets its base).
uint64_t stolen_ns(unsigned index) {
    if (!x86::g_steal_enabled) return 0;
    return x86::g_steal[index].stolen_ns();
}

} // namespace wisp::platform
