// SPDX-License-Identifier: MIT
#include "kvm/vm.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstring>
#include <string>

#include "vmm.h"

namespace wisp::vmm {

void throw_kvm_error(const char* what, int err) {
    throw UserError(std::string("wisp: ") + what + " failed: " + std::strerror(err));
}

Kvm Kvm::open() {
    int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT || err == ENODEV || err == ENXIO)
            throw UserError("wisp: /dev/kvm not found: KVM is required (load kvm_intel/kvm_amd, "
                            "or use --hypervisor qemu)");
        if (err == EACCES || err == EPERM)
            throw UserError("wisp: /dev/kvm: permission denied: add your user to the 'kvm' group "
                            "(or use --hypervisor qemu)");
        throw_kvm_error("open /dev/kvm", err);
    }
    Kvm kvm;
    kvm.m_fd.reset(fd);
    kvm.m_api_version = checked_ioctl(fd, KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
    // The KVM API has been version 12 since Linux 2.6.22 and is promised never to change.
    if (kvm.m_api_version != KVM_API_VERSION)
        throw UserError("wisp: /dev/kvm speaks KVM API version " +
                        std::to_string(kvm.m_api_version) + ", wisp needs " +
                        std::to_string(KVM_API_VERSION) + ": use --hypervisor qemu");
    return kvm;
}

size_t Kvm::vcpu_mmap_size() const {
    return static_cast<size_t>(
        checked_ioctl(fd(), KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE"));
}

Vm::Vm(const Kvm& kvm) {
    m_fd.reset(checked_ioctl(kvm.fd(), KVM_CREATE_VM, 0UL, "KVM_CREATE_VM"));
}

void Vm::set_tss_and_identity_map(uint64_t tss_gpa, uint64_t identity_map_gpa) {
    checked_ioctl(fd(), KVM_SET_TSS_ADDR, static_cast<unsigned long>(tss_gpa), "KVM_SET_TSS_ADDR");
    __u64 identity = identity_map_gpa;
    checked_ioctl(fd(), KVM_SET_IDENTITY_MAP_ADDR, &identity, "KVM_SET_IDENTITY_MAP_ADDR");
}

void Vm::set_memory(uint32_t slot, uint64_t gpa, void* host, uint64_t size, bool read_only) {
    kvm_userspace_memory_region region{};
    region.slot = slot;
    region.flags = read_only ? KVM_MEM_READONLY : 0;
    region.guest_phys_addr = gpa;
    region.memory_size = size;
    region.userspace_addr = reinterpret_cast<uint64_t>(host);
    checked_ioctl(fd(), KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION");
}

void Vm::create_irqchip() {
    checked_ioctl(fd(), KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
}

} // namespace wisp::vmm

namespace wisp::vmm {

void Vm::set_irq_line(unsigned gsi, bool level) const {
    kvm_irq_level line{};
    line.irq = gsi;
    line.level = level ? 1 : 0;
    checked_ioctl(fd(), KVM_IRQ_LINE, &line, "KVM_IRQ_LINE");
}

} // namespace wisp::vmm
