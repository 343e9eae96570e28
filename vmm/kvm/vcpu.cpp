// SPDX-License-Identifier: MIT
#include "kvm/vcpu.h"

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace wisp::vmm {

Vcpu::Vcpu(const Kvm& kvm, const Vm& vm, unsigned id) {
    size_t run_size = kvm.vcpu_mmap_size();
    m_fd.reset(
        checked_ioctl(vm.fd(), KVM_CREATE_VCPU, static_cast<unsigned long>(id), "KVM_CREATE_VCPU"));
    void* run = ::mmap(nullptr, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd.get(), 0);
    if (run == MAP_FAILED) throw_kvm_error("mmap of kvm_run", errno);
    m_run = Mapping(run, run_size);
}

void Vcpu::set_cpuid(std::span<const kvm_cpuid_entry2> entries) {
    std::vector<uint8_t> block(sizeof(KvmCpuidHeader) + entries.size_bytes());
    KvmCpuidHeader header{static_cast<uint32_t>(entries.size()), 0};
    std::memcpy(block.data(), &header, sizeof header);
    std::memcpy(block.data() + sizeof header, entries.data(), entries.size_bytes());
    checked_ioctl(fd(), kKvmSetCpuid2, block.data(), "KVM_SET_CPUID2");
}

kvm_regs Vcpu::regs() const {
    kvm_regs regs{};
    checked_ioctl(fd(), KVM_GET_REGS, &regs, "KVM_GET_REGS");
    return regs;
}

void Vcpu::set_regs(const kvm_regs& regs) {
    checked_ioctl(fd(), KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

kvm_sregs Vcpu::sregs() const {
    kvm_sregs sregs{};
    checked_ioctl(fd(), KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
    return sregs;
}

void Vcpu::set_sregs(const kvm_sregs& sregs) {
    checked_ioctl(fd(), KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
}

uint64_t Vcpu::tsc_khz() const {
    int khz = ::ioctl(fd(), KVM_GET_TSC_KHZ, 0);
    return khz > 0 ? static_cast<uint64_t>(khz) : 0;
}

uint32_t Vcpu::enter() {
    if (::ioctl(fd(), KVM_RUN, 0) < 0) {
        if (errno == EINTR || errno == EAGAIN) return KVM_EXIT_INTR;
        throw_kvm_error("KVM_RUN", errno);
    }
    return run()->exit_reason;
}

} // namespace wisp::vmm
