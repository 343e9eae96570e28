// SPDX-License-Identifier: MIT
#pragma once

// The seccomp allow-list the monitor drops to once the VM is set up (DESIGN.md §3): from then
// on a guest that subverts the monitor can only run the vCPU, write output and allocate memory.
// The filter is process-wide and permanent, so the rest of the calling process (the CLI after
// run_vm returns) lives under it too.

namespace wisp::vmm {

// Installs the filter on every thread of the process (SECCOMP_FILTER_FLAG_TSYNC). Allowed:
//   KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS ioctls; read, write, writev, pread64; close;
//   memory (brk, munmap, mremap, madvise, mmap/mprotect without PROT_EXEC); futex,
//   clocks and sleeps; signal return and masks; getpid/gettid/tgkill (abort); fstat;
//   exit, exit_group.
// Anything else kills the process (SIGSYS). Throws UserError when the filter cannot be loaded.
void enter_sandbox();

} // namespace wisp::vmm
