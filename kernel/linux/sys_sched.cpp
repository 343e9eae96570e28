// SPDX-License-Identifier: MIT
// Scheduling policies and priorities (sched_setscheduler and friends), CPU affinity, getcpu and
// membarrier(2). Policies are checked and recorded as Linux does, and reported back, but every
// thread is scheduled alike (FIXME: real-time policies); affinity masks bind (sched/thread.h). A membarrier interrupts every other
// CPU that may run the program's threads and waits until each has taken the interrupt (a full
// barrier, and iretq back to user mode serializes: SYNC_CORE); a thread that is switched out
// has passed a barrier already.
#include "linux/process.h"
#include "linux/syscalls.h"
#include "platform/platform.h"
#include "sched/thread.h"

namespace wisp::linux {
namespace {

constexpr int kSchedOther = 0, kSchedFifo = 1, kSchedRr = 2, kSchedBatch = 3, kSchedIdle = 5,
              kSchedDeadline = 6;
constexpr int kResetOnFork = 0x40000000;

bool is_realtime(int policy) { return policy == kSchedFifo || policy == kSchedRr; }
bool is_valid(int policy) {
    return policy == kSchedOther || is_realtime(policy) || policy == kSchedBatch ||
           policy == kSchedIdle;
}

// The thread `pid` names (0: the caller). ESRCH when none, EINVAL for a negative pid.
Result<sched::Thread*> thread_for(int pid) {
    if (pid < 0) return Errno::INVAL;
    if (pid == 0) return sched::current();
    sched::Thread* found = sched::find_thread(pid);
    if (!found) return Errno::SRCH;
    return found;
}

Result<void> set_policy(sched::Thread* t, int policy, int priority) {
    int base = policy & ~kResetOnFork;
    if (!is_valid(base)) return Errno::INVAL;
    // Real-time policies take 1..99, the others only 0 (Linux __sched_setscheduler).
    if (is_realtime(base) ? priority < 1 || priority > 99 : priority != 0) return Errno::INVAL;
    t->linux.sched_policy = policy;
    t->linux.sched_priority = priority;
    return {};
}

// The thread sched_{get,set}affinity name: a negative id is no thread (ESRCH, not EINVAL).
Result<sched::Thread*> affinity_target(int pid) {
    if (pid < 0) return Errno::SRCH;
    return thread_for(pid);
}

uint64_t online_cpus() {
    unsigned count = platform::cpu_count();
    return count >= 64 ? ~0ull : (1ull << count) - 1;
}

} // namespace

Result<long> sys_sched_getscheduler(int pid) {
    sched::Thread* t = TRY(thread_for(pid));
    return t->linux.sched_policy;
}

Result<long> sys_sched_setscheduler(int pid, int policy, UserPtr<const int> param) {
    if (param.is_null() || policy < 0) return Errno::INVAL;
    int priority = TRY(param.read());
    sched::Thread* t = TRY(thread_for(pid));
    TRY(set_policy(t, policy, priority));
    return 0;
}

Result<long> sys_sched_getparam(int pid, UserPtr<int> param) {
    if (param.is_null()) return Errno::INVAL;
    sched::Thread* t = TRY(thread_for(pid));
    TRY(param.write(t->linux.sched_priority));
    return 0;
}

Result<long> sys_sched_setparam(int pid, UserPtr<const int> param) {
    if (param.is_null()) return Errno::INVAL;
    int priority = TRY(param.read());
    sched::Thread* t = TRY(thread_for(pid));
    TRY(set_policy(t, t->linux.sched_policy, priority));
    return 0;
}

Result<long> sys_sched_get_priority_max(int policy) {
    if (is_realtime(policy)) return 99;
    if (is_valid(policy) || policy == kSchedDeadline) return 0;
    return Errno::INVAL;
}

Result<long> sys_sched_get_priority_min(int policy) {
    if (is_realtime(policy)) return 1;
    if (is_valid(policy) || policy == kSchedDeadline) return 0;
    return Errno::INVAL;
}

Result<long> sys_membarrier(int command, unsigned flags, int cpu) {
    (void)cpu;
    constexpr int kQuery = 0, kGlobal = 1, kGlobalExpedited = 2, kRegisterGlobalExpedited = 4,
                  kPrivateExpedited = 8, kRegisterPrivateExpedited = 16,
                  kPrivateExpeditedSyncCore = 32, kRegisterPrivateExpeditedSyncCore = 64,
                  kGetRegistrations = 512;
    // The RSEQ commands are left out: there is no rseq (ENOSYS) here.
    constexpr int kSupported = kGlobal | kGlobalExpedited | kRegisterGlobalExpedited |
                               kPrivateExpedited | kRegisterPrivateExpedited |
                               kPrivateExpeditedSyncCore | kRegisterPrivateExpeditedSyncCore |
                               kGetRegistrations;
    static int registrations = 0; // the REGISTER commands this process issued
    if (flags != 0) return Errno::INVAL;
    switch (command) {
    case kQuery: return kSupported;
    case kGlobal:
    case kGlobalExpedited: platform::synchronize_cpus(); return 0;
    case kRegisterGlobalExpedited:
    case kRegisterPrivateExpedited:
    case kRegisterPrivateExpeditedSyncCore: registrations |= command; return 0;
    case kPrivateExpedited:
        if (!(registrations & kRegisterPrivateExpedited)) return Errno::PERM;
        platform::synchronize_cpus();
        return 0;
    case kPrivateExpeditedSyncCore:
        if (!(registrations & kRegisterPrivateExpeditedSyncCore)) return Errno::PERM;
        platform::synchronize_cpus();
        return 0;
    case kGetRegistrations: return registrations;
    default: return Errno::INVAL;
    }
}

// CPU affinity, one bit per CPU (at most 64: kMaxCpus is below that). Linux keeps the mask
// per thread (0: the caller) and reports it ANDed with the CPUs that run.
Result<long> sys_sched_getaffinity(int pid, uint64_t length, UserPtr<uint64_t> mask) {
    if (length < sizeof(uint64_t) || (length & (sizeof(uint64_t) - 1))) return Errno::INVAL;
    sched::Thread* t = TRY(affinity_target(pid));
    TRY(mask.write(t->affinity & online_cpus()));
    return sizeof(uint64_t);
}

// Linux sched_setaffinity(): the mask is read first (a shorter one is zero-extended, a longer
// one's extra bits name CPUs that do not exist); it must include a CPU that runs.
Result<long> sys_sched_setaffinity(int pid, uint64_t length, UserPtr<const uint64_t> mask) {
    uint64_t wanted = 0;
    TRY(copy_from_user(&wanted, mask.address(), length < 8 ? length : 8));
    sched::Thread* t = TRY(affinity_target(pid));
    if ((wanted & online_cpus()) == 0) return Errno::INVAL;
    sched::set_affinity(t, wanted & online_cpus());
    return 0;
}

// getcpu(2): the CPU and NUMA node the caller runs on; the third argument (a cache) has been
// unused since Linux 2.6.24. The vDSO's getcpu answers the same while there is one CPU
// (vdso/vvar.h).
Result<long> sys_getcpu(UserPtr<unsigned> cpu, UserPtr<unsigned> node, uint64_t) {
    if (!cpu.is_null()) TRY(cpu.write(platform::cpu_index()));
    if (!node.is_null()) TRY(node.write(0));
    return 0;
}

} // namespace wisp::linux
