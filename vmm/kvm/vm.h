// SPDX-License-Identifier: MIT
#pragma once

// /dev/kvm and one VM: the few KVM ioctls the monitor needs, each failure a UserError naming
// the ioctl. The vCPU lives in vcpu.h.
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "kvm/handles.h"

namespace wisp::vmm {

// struct kvm_cpuid2 as the kernel lays it out: 8 header bytes, then kvm_cpuid_entry2[nent].
// The <linux/kvm.h> declaration cannot be used from C++ with these (Debian 12) headers: its
// __DECLARE_FLEX_ARRAY adds an empty struct that is one byte in C++, which moves the entries
// to offset 12 and changes the size encoded in KVM_GET_SUPPORTED_CPUID/KVM_SET_CPUID2.
struct KvmCpuidHeader {
    uint32_t nent;
    uint32_t padding;
};
inline constexpr unsigned long kKvmGetSupportedCpuid = _IOWR(KVMIO, 0x05, KvmCpuidHeader);
inline constexpr unsigned long kKvmSetCpuid2 = _IOW(KVMIO, 0x90, KvmCpuidHeader);

// Throws UserError("wisp: <what> failed: <strerror(err)>").
[[noreturn]] void throw_kvm_error(const char* what, int err);

// ioctl() retried on EINTR; throws via throw_kvm_error on failure, returns the result otherwise.
template<class Arg>
int checked_ioctl(int fd, unsigned long request, Arg arg, const char* what) {
    for (;;) {
        int r = ::ioctl(fd, request, arg);
        if (r >= 0) return r;
        if (errno != EINTR) throw_kvm_error(what, errno);
    }
}

class Kvm {
  public:
    // Opens /dev/kvm and checks the API version. Throws UserError with the fix when /dev/kvm
    // is missing or not accessible.
    static Kvm open();

    int fd() const { return m_fd.get(); }
    int api_version() const { return m_api_version; }
    size_t vcpu_mmap_size() const;

  private:
    UniqueFd m_fd;
    int m_api_version = 0;
};

class Vm {
  public:
    explicit Vm(const Kvm& kvm); // KVM_CREATE_VM

    int fd() const { return m_fd.get(); }

    // The pages KVM's VMX backend needs for real-mode emulation: the 3-page TSS and the
    // identity-mapped page table. Must lie in guest-physical space that is not RAM.
    void set_tss_and_identity_map(uint64_t tss_gpa, uint64_t identity_map_gpa);

    // Registers [gpa, gpa + size) backed by host memory. Slots are created once, before the
    // irqchip: after KVM_CREATE_IRQCHIP every slot change costs milliseconds here (DESIGN.md §8).
    void set_memory(uint32_t slot, uint64_t gpa, void* host, uint64_t size, bool read_only);

    void create_irqchip();
    // Drives input `gsi` of the in-kernel IOAPIC (and PIC, below 16) to `level`
    // (KVM_IRQ_LINE). Callable from any thread.
    void set_irq_line(unsigned gsi, bool level) const;

  private:
    UniqueFd m_fd;
};

} // namespace wisp::vmm
