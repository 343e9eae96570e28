// SPDX-License-Identifier: MIT
#include "linux/process.h"

#include <wisp/abi/platform.h>

#include "lib/log.h"
#include "lib/timeline.h"
#include "lib/print.h"
#include "platform/platform.h"
#include "platform/traps.h"
#include "linux/signals.h"
#include "mm/address_space.h"

namespace wisp::linux {
namespace {
Process g_process{{}, 8ull << 20, false};
}

Process& process() { return g_process; }

const char* signal_name(int signal) {
    static const char* const names[] = {
        "SIG0",    "SIGHUP",  "SIGINT",  "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT",
        "SIGBUS",  "SIGFPE",  "SIGKILL", "SIGUSR1", "SIGSEGV",   "SIGUSR2", "SIGPIPE",
        "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG",  "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO",  "SIGPWR",  "SIGSYS"};
    return signal >= 0 && signal < 32 ? names[signal] : "SIGRT";
}

void exit_process(int status) {
    uint32_t value = static_cast<uint32_t>(status) & 0xff;
    timeline::mark(timeline::Milestone::Exit);
    timeline::emit();
    control("exit=%u\n", value);
    platform::exit_vm(value);
}

void kill_process(int signal, const char* reason) {
    log("wisp: killed by %s%s%s\n", signal_name(signal), reason[0] ? " " : "", reason);
    exit_process(128 + signal);
}

} // namespace wisp::linux

namespace wisp {

void handle_user_exception(TrapFrame& frame, FaultKind kind, uint64_t address) {
    using namespace linux;
    constexpr int kSegvMaperr = 1, kSegvAccerr = 2, kIllIllopn = 2, kFpeIntdiv = 1,
                  kBusAdraln = 1, kBusAdrerr = 2;
    SignalInfo info{};
    info.trapno = frame.vector;
    info.error_code = frame.error_code;
    switch (kind) {
    case FaultKind::PageFault:
        info.signal = 11;
        info.code = mm::address_space().find(address) != nullptr ? kSegvAccerr : kSegvMaperr;
        info.addr = address;
        break;
    case FaultKind::InvalidOpcode:
        info = {4, kIllIllopn, frame.rip, 0, 0, frame.vector, frame.error_code};
        break;
    case FaultKind::DivideError:
        info = {8, kFpeIntdiv, frame.rip, 0, 0, frame.vector, frame.error_code};
        break;
    case FaultKind::Breakpoint:
        info = {5, kSiKernel, 0, 0, 0, frame.vector, frame.error_code};
        break;
    case FaultKind::FloatingPoint:
        info = {8, 0, frame.rip, 0, 0, frame.vector, frame.error_code};
        break;
    case FaultKind::AlignmentCheck:
        info = {7, kBusAdraln, address, 0, 0, frame.vector, frame.error_code};
        break;
    case FaultKind::BusError: // a file mapping past the end of the file
        info = {7, kBusAdrerr, address, 0, 0, frame.vector, frame.error_code};
        break;
    case FaultKind::OutOfMemory: {
        // Linux's OOM killer ends the process with SIGKILL; say why.
        char reason[112];
        format(reason, sizeof(reason),
               "(out of memory: no page left for 0x%lx; try a larger -m)", address);
        kill_process(9, reason);
    }
    default: // #GP and the rest: SIGSEGV with SI_KERNEL, as Linux
        info = {11, kSiKernel, 0, 0, 0, frame.vector, frame.error_code};
    }
    force_fault_signal(frame, info);
}

} // namespace wisp
