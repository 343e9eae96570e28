// SPDX-License-Identifier: MIT
#include "linux/process.h"

#include <wisp/abi/platform.h>

#include "lib/log.h"
#include "lib/timeline.h"
#include "lib/print.h"
#include "platform/platform.h"
#include "platform/traps.h"

namespace wisp::linux {
namespace {
Process g_process{{}, 0, 0, 0, 8ull << 20, false};
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
    log("wisp: killed by %s %s\n", signal_name(signal), reason);
    exit_process(128 + signal);
}

} // namespace wisp::linux

namespace wisp {

void handle_user_exception(TrapFrame& frame, FaultKind kind, uint64_t address) {
    // FIXME: deliver to the application's signal handlers (issue: threads, time, signals).
    char reason[96];
    int signal = 11;
    switch (kind) {
    case FaultKind::PageFault:
        format(reason, sizeof(reason), "at 0x%lx (invalid access to 0x%lx)", frame.rip, address);
        break;
    case FaultKind::InvalidOpcode:
        signal = 4;
        format(reason, sizeof(reason), "at 0x%lx (invalid instruction)", frame.rip);
        break;
    case FaultKind::DivideError:
        signal = 8;
        format(reason, sizeof(reason), "at 0x%lx (integer divide by zero)", frame.rip);
        break;
    case FaultKind::Breakpoint:
        signal = 5;
        format(reason, sizeof(reason), "at 0x%lx (breakpoint)", frame.rip);
        break;
    case FaultKind::FloatingPoint:
        signal = 8;
        format(reason, sizeof(reason), "at 0x%lx (floating point exception)", frame.rip);
        break;
    case FaultKind::OutOfMemory:
        // Linux's OOM killer ends the process with SIGKILL; say why.
        format(reason, sizeof(reason), "(out of memory: no page left for 0x%lx; try a larger -m)",
               address);
        linux::kill_process(9, reason);
    case FaultKind::AlignmentCheck:
        signal = 7;
        format(reason, sizeof(reason), "at 0x%lx (alignment check)", frame.rip);
        break;
    default:
        format(reason, sizeof(reason), "at 0x%lx (general protection, vector %lu)", frame.rip,
               frame.vector);
    }
    linux::kill_process(signal, reason);
}

} // namespace wisp
