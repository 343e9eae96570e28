// SPDX-License-Identifier: MIT
// The x86-64 Linux signal frame (arch/x86/kernel/signal.c, uapi asm/sigcontext.h, asm/ucontext.h):
//
//   higher addresses
//   |  interrupted stack ...                      |
//   |  128-byte red zone (skipped unless altstack) |
//   |  fpstate: 512-byte fxsave image, 64-aligned  |  <- uc.uc_mcontext.fpstate
//   |  struct siginfo (128)                        |  <- rsi
//   |  struct ucontext (304)                       |  <- rdx
//   |  pretcode = sa_restorer                      |  <- rsp at handler entry, (rsp + 8) % 16 == 0
//   lower addresses
//
// FPU state is saved with fxsave (the CPL0 emulator here has no xsave, DESIGN.md §8), so
// uc_flags never carries UC_FP_XSTATE, and the handler starts with the initial FPU state.
#include <stddef.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "platform/platform.h"

namespace wisp::platform {
namespace {

struct SigContext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved[8];
};
static_assert(sizeof(SigContext) == 256);

struct UContext {
    uint64_t uc_flags;
    uint64_t uc_link;
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
    SigContext mcontext;
    uint64_t sigmask;
};
static_assert(sizeof(UContext) == 304);
static_assert(offsetof(UContext, mcontext) == 40);

struct RtSigFrame {
    uint64_t pretcode;
    UContext uc;
    uint8_t info[128];
};
static_assert(sizeof(RtSigFrame) == 440);

constexpr uint64_t kUcSigcontextSs = 2, kUcStrictRestoreSs = 4;
constexpr uint64_t kRedZone = 128;
constexpr uint64_t kUserCs = 0x23, kUserSs = 0x1b;
// Flags a sigreturn may change (Linux FIX_EFLAGS): AC OF DF TF SF ZF AF PF CF RF.
constexpr uint64_t kFixEflags = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 |
                                0x1 | 0x10000;

struct alignas(16) FxArea {
    uint8_t bytes[512];
};

} // namespace

Result<void> push_signal_frame(TrapFrame& f, const SignalFrameSetup& s) {
    uint64_t sp = s.stack_top;
    if (!s.on_altstack) sp -= kRedZone;
    sp = (sp - sizeof(FxArea)) & ~uint64_t{63};
    uint64_t fpstate = sp;
    sp -= sizeof(RtSigFrame);
    sp = (sp & ~uint64_t{15}) - 8;

    FxArea fx;
    asm volatile("fxsave %0" : "=m"(fx));
    if (!copy_to_user(fpstate, &fx, sizeof(fx))) return Errno::FAULT;

    RtSigFrame frame{};
    frame.pretcode = s.restorer;
    frame.uc.uc_flags = kUcSigcontextSs | kUcStrictRestoreSs;
    frame.uc.ss_sp = s.altstack_sp;
    frame.uc.ss_flags = s.altstack_flags;
    frame.uc.ss_size = s.altstack_size;
    SigContext& c = frame.uc.mcontext;
    c = SigContext{f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15, f.rdi, f.rsi, f.rbp,
                   f.rbx, f.rdx, f.rax, f.rcx, f.rsp, f.rip, f.rflags,
                   static_cast<uint16_t>(f.cs), 0, 0, static_cast<uint16_t>(f.ss),
                   s.error_code, s.trapno, s.saved_mask, s.fault_address, fpstate, {}};
    frame.uc.sigmask = s.saved_mask;
    memcpy(frame.info, s.siginfo, sizeof(frame.info));
    if (!copy_to_user(sp, &frame, sizeof(frame))) return Errno::FAULT;

    f.rip = s.handler;
    f.rsp = sp;
    f.rdi = static_cast<uint64_t>(s.signal);
    f.rsi = sp + offsetof(RtSigFrame, info);
    f.rdx = sp + offsetof(RtSigFrame, uc);
    f.rax = 0;
    f.rflags &= ~uint64_t{0x100 | 0x400 | 0x10000}; // TF, DF, RF
    f.cs = kUserCs;
    f.ss = kUserSs;
    x86::load_initial_fpu_state();
    return {};
}

Result<SignalFrameRestore> pop_signal_frame(TrapFrame& f) {
    uint64_t frame_address = f.rsp - 8; // the handler's `ret` popped pretcode
    UContext uc;
    if (!copy_from_user(&uc, frame_address + offsetof(RtSigFrame, uc), sizeof(uc)))
        return Errno::FAULT;
    const SigContext& c = uc.mcontext;
    // iretq to a non-canonical address faults in the kernel: refuse such a context (the caller
    // kills with SIGSEGV, as Linux does for a bad frame).
    constexpr uint64_t kUserEnd = 0x0000'8000'0000'0000;
    if (c.rip >= kUserEnd || c.rsp >= kUserEnd) return Errno::FAULT;
    if (c.fpstate != 0) {
        FxArea fx;
        if (!copy_from_user(&fx, c.fpstate, sizeof(fx))) return Errno::FAULT;
        // A reserved MXCSR bit would make fxrstor fault in the kernel: keep the defined ones.
        uint32_t mxcsr;
        memcpy(&mxcsr, fx.bytes + 24, 4);
        mxcsr &= 0xffff;
        memcpy(fx.bytes + 24, &mxcsr, 4);
        memset(fx.bytes + 28, 0, 4); // MXCSR_MASK is output-only
        asm volatile("fxrstor %0" : : "m"(fx));
    } else {
        x86::load_initial_fpu_state();
    }
    f.r8 = c.r8, f.r9 = c.r9, f.r10 = c.r10, f.r11 = c.r11, f.r12 = c.r12, f.r13 = c.r13;
    f.r14 = c.r14, f.r15 = c.r15, f.rdi = c.rdi, f.rsi = c.rsi, f.rbp = c.rbp, f.rbx = c.rbx;
    f.rdx = c.rdx, f.rax = c.rax, f.rcx = c.rcx, f.rsp = c.rsp, f.rip = c.rip;
    f.rflags = (f.rflags & ~kFixEflags) | (c.eflags & kFixEflags);
    f.cs = kUserCs;
    f.ss = kUserSs;
    return SignalFrameRestore{uc.sigmask, uc.ss_sp, uc.ss_size, uc.ss_flags};
}

} // namespace wisp::platform
