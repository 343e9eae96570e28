// SPDX-License-Identifier: MIT
#pragma once

// One vCPU: its fd, its shared kvm_run page, register access and KVM_RUN.
#include <linux/kvm.h>

#include <cstdint>
#include <span>

#include "kvm/handles.h"
#include "kvm/vm.h"

namespace wisp::vmm {

class Vcpu {
  public:
    Vcpu(const Kvm& kvm, const Vm& vm, unsigned id);

    int fd() const { return m_fd.get(); }
    kvm_run* run() const { return reinterpret_cast<kvm_run*>(m_run.data()); }
    // Size of the kvm_run mapping: the bound for every offset KVM hands us in it.
    size_t run_size() const { return m_run.size(); }

    void set_cpuid(std::span<const kvm_cpuid_entry2> entries);
    kvm_regs regs() const;
    void set_regs(const kvm_regs& regs);
    kvm_sregs sregs() const;
    void set_sregs(const kvm_sregs& sregs);
    // Guest TSC frequency in kHz, 0 when KVM cannot tell.
    uint64_t tsc_khz() const;

    // KVM_RUN until the next exit to userspace; returns run()->exit_reason, or KVM_EXIT_INTR
    // when a host signal interrupted it.
    uint32_t enter();

  private:
    UniqueFd m_fd;
    Mapping m_run;
};

} // namespace wisp::vmm
