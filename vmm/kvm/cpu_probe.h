// SPDX-License-Identifier: MIT
#pragma once

// Which CPU features actually work in a guest on this host (DESIGN.md §8). The CPUID KVM
// reports here advertises features (XSAVE, AVX, SMAP...) whose instructions the host's CPL0
// emulator cannot execute, so the monitor runs each such instruction once in a tiny probe VM,
// caches the answer per host, and shows the guest only what works.
#include <linux/kvm.h>

#include <string>
#include <vector>

namespace wisp::vmm {

class Kvm;

struct CpuProbe {
    // Each: the instruction(s) ran correctly at guest CPL0. False also when KVM does not
    // advertise the feature at all.
    bool xsave = false; // xsave, xrstor, xgetbv (and so OSXSAVE)
    bool xsaveopt = false;
    bool xsavec = false;
    bool avx = false; // 256-bit VEX instructions (AVX, and FMA/F16C/VAES... built on it)
    bool avx2 = false;
    bool avx512 = false; // EVEX (AVX-512 F and every extension)
    bool smap = false;   // stac/clac
    bool sysret = false; // no CPUID bit: the kernel returns to user mode with iretq anyway
    bool popcnt = false;
    bool cx16 = false; // cmpxchg16b
    bool rdtscp = false;
    bool rdpid = false;
    bool sse42 = false; // crc32
    bool bmi1 = false;
    bool bmi2 = false;
    bool lzcnt = false; // ABM
    bool movbe = false;
    bool fsgsbase = false;
    bool rdrand = false;
    bool rdseed = false;

    // False when a probe VM could not be set up (e.g. /dev/kvm busy): the answers above are
    // then "does not work" for safety, and the result is not cached.
    bool complete = false;
    // KVM_GET_SUPPORTED_CPUID, unfiltered (cached with the probe: the ioctl costs 0.27 ms here).
    std::vector<kvm_cpuid_entry2> supported_cpuid;
};

// The probe for this host: loaded from the cache, or measured (a few ms) and cached on first
// use. Thread-safe; computed once per process. Throws UserError when /dev/kvm is unusable.
const CpuProbe& host_cpu_probe();
// The same, using an already open /dev/kvm (saves an open() on the boot path).
const CpuProbe& host_cpu_probe(const Kvm& kvm);

// Runs the probes now, without the cache.
CpuProbe run_cpu_probe(const Kvm& kvm);

// Cache file: ${XDG_CACHE_HOME:-$HOME/.cache}/wisp/cpu-probe-<key>.json; "" when neither
// variable is set. The key hashes /proc/cpuinfo's model name and flags, the kernel release
// and the KVM API version, so a host, kernel or KVM change re-probes.
std::string cpu_probe_cache_path(int kvm_api_version);
// JSON round trip (the cache format); parse returns false on anything malformed.
std::string cpu_probe_to_json(const CpuProbe& probe);
bool cpu_probe_from_json(const std::string& text, CpuProbe& probe);

// Clears from a KVM_GET_SUPPORTED_CPUID list every feature that does not work here, plus
// VMX/SVM always (no nested virtualization inside wisp), and sets the hypervisor bit.
void filter_cpuid(std::vector<kvm_cpuid_entry2>& entries, const CpuProbe& probe);

// The QEMU -cpu value presenting the same features: "host,-arch-capabilities,-vmx,-svm,..."
std::string qemu_cpu_flags(const CpuProbe& probe);

} // namespace wisp::vmm
