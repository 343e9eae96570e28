// SPDX-License-Identifier: MIT
#include "sandbox.h"

#include <linux/kvm.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cstring>
#include <memory>
#include <string>

#include "vmm.h"

namespace wisp::vmm {

void enter_sandbox() {
    std::unique_ptr<void, decltype(&seccomp_release)> ctx(seccomp_init(SCMP_ACT_KILL_PROCESS),
                                                          &seccomp_release);
    if (!ctx) throw UserError("wisp: cannot create the seccomp filter (libseccomp)");
    int err = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1);
    auto allow = [&](int syscall) {
        if (!err) err = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, syscall, 0);
    };
    for (int syscall :
         {SCMP_SYS(read),           SCMP_SYS(write),         SCMP_SYS(writev),
          SCMP_SYS(pread64),        SCMP_SYS(close),         SCMP_SYS(brk),
          SCMP_SYS(munmap),         SCMP_SYS(mremap),        SCMP_SYS(madvise),
          SCMP_SYS(futex),          SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
          SCMP_SYS(nanosleep),      SCMP_SYS(gettimeofday),  SCMP_SYS(rt_sigreturn),
          SCMP_SYS(rt_sigprocmask), SCMP_SYS(getpid),        SCMP_SYS(gettid),
          SCMP_SYS(tgkill),         SCMP_SYS(fstat),         SCMP_SYS(newfstatat),
          SCMP_SYS(exit),           SCMP_SYS(exit_group),    SCMP_SYS(poll),
          SCMP_SYS(ppoll),          SCMP_SYS(rt_sigaction),  SCMP_SYS(sigaltstack)})
        allow(syscall);
    // The vCPU loop, device interrupts and the crash report, nothing else of KVM: no new VMs, slots or vCPUs.
    const unsigned long requests[] = {KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_IRQ_LINE};
    for (unsigned long request : requests)
        if (!err)
            err = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                   SCMP_A1(SCMP_CMP_EQ, request));
    // Memory for malloc, never executable.
    for (int syscall : {SCMP_SYS(mmap), SCMP_SYS(mprotect)}) // prot is argument 2 of both
        if (!err)
            err = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, syscall, 1,
                                   SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    if (!err) err = seccomp_load(ctx.get());
    if (err)
        throw UserError(std::string("wisp: cannot enter the seccomp sandbox: ") +
                        std::strerror(-err));
}

} // namespace wisp::vmm
