// SPDX-License-Identifier: MIT
// The contents of /proc and /sys: tables of fs/pseudo_fs.h entries and their generators, read
// from the kernel's state when a file is opened (formats as Linux's fs/proc prints them).
#include "linux/procfs.h"

#include <string.h>

#include "fs/dentry.h"
#include "fs/pseudo_fs.h"
#include "fs/system.h"
#include "lib/print.h"
#include "lib/random.h"
#include "linux/credentials.h"
#include "linux/files.h"
#include "linux/process.h"
#include "linux/signals.h"
#include "mm/address_space.h"
#include "sched/thread.h"
#include "mm/frames.h"
#include "platform/platform.h"

namespace wisp::linux {

namespace {

using fs::LinkTarget;
using fs::Own;
using fs::PseudoEntry;
using fs::TextBuffer;

constexpr uint64_t kProcMagic = 0x9fa0, kSysfsMagic = 0x62656572;
constexpr uint32_t kDir = fs::kTypeDirectory | 0555, kFile = fs::kTypeRegular | 0444,
                   kWritable = fs::kTypeRegular | 0644, kLink = fs::kTypeSymlink | 0777,
                   kOwnerLink = fs::kTypeSymlink | 0777;

Result<void> text(TextBuffer& out, const char* s) {
    return out.append(s);
}

// "Label:" padded to `width` columns, then the value right-aligned in 8: as meminfo/status.
Result<void> kb_line(TextBuffer& out, const char* label, uint64_t kb, size_t width = 16) {
    TRY(out.append(label));
    for (size_t n = strlen(label); n < width; n++)
        TRY(out.append(" "));
    return out.appendf("%8lu kB\n", kb);
}

Result<void> octal(TextBuffer& out, uint64_t v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + (v & 7));
        v >>= 3;
    } while (v);
    TRY(out.append("0"));
    while (n > 0)
        TRY(out.append(std::string_view(&digits[--n], 1)));
    return {};
}

uint64_t uptime_ns() {
    return platform::monotonic_ns();
}

Result<void> copy_user_range(TextBuffer& out, uint64_t start, uint64_t end) {
    if (end <= start) return {};
    TRY(out.reserve(end - start));
    char chunk[256];
    for (uint64_t at = start; at < end; at += sizeof(chunk)) {
        size_t n = end - at < sizeof(chunk) ? end - at : sizeof(chunk);
        if (copy_from_user(chunk, at, n).is_error()) break;
        TRY(out.append(chunk, n));
    }
    return {};
}

uint64_t rss_pages() {
    mm::FrameStats s = mm::frames().stats();
    return s.total_frames - s.fresh_frames - s.dirty_frames;
}

uint64_t vm_size_kb() {
    uint64_t bytes = 0;
    for (const mm::Vma& v : mm::address_space().vmas())
        bytes += v.end - v.start;
    return bytes / 1024;
}

// ---- /proc/<pid> -------------------------------------------------------------------------------

Result<void> gen_cmdline(TextBuffer& out, uint64_t) {
    return copy_user_range(out, process().arg_start, process().arg_end);
}
Result<void> gen_environ(TextBuffer& out, uint64_t) {
    return copy_user_range(out, process().env_start, process().env_end);
}
Result<void> gen_comm(TextBuffer& out, uint64_t) {
    return out.appendf("%s\n", process().comm);
}
Result<size_t> store_comm(const char* data, size_t length, uint64_t) {
    size_t n = length;
    if (n > 0 && data[n - 1] == '\n') n--;
    if (n > sizeof(process().comm) - 1) n = sizeof(process().comm) - 1;
    memcpy(process().comm, data, n);
    process().comm[n] = '\0';
    return length;
}

Result<void> gen_maps(TextBuffer& out, uint64_t) {
    for (const mm::Vma& v : mm::address_space().vmas()) {
        size_t before = out.size();
        TRY(out.appendf("%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", v.start, v.end,
                        v.prot & platform::ProtRead ? 'r' : '-',
                        v.prot & platform::ProtWrite ? 'w' : '-',
                        v.prot & platform::ProtExec ? 'x' : '-', v.shared ? 's' : 'p',
                        v.file_offset, 0u, 0u, v.file ? v.file->inode() : 0ul));
        if (v.name) {
            // Linux pads the name to column 73 (seq_pad).
            for (size_t col = out.size() - before; col < 73; col++)
                TRY(out.append(" "));
            TRY(out.append(v.name));
        }
        TRY(out.append("\n"));
    }
    return {};
}

Result<void> gen_status(TextBuffer& out, uint64_t) {
    const Process& p = process();
    TRY(out.appendf("Name:\t%s\nUmask:\t", p.comm));
    char umask[8];
    uint32_t u = files().context.umask;
    umask[0] = '0';
    umask[1] = static_cast<char>('0' + ((u >> 9) & 7));
    umask[2] = static_cast<char>('0' + ((u >> 6) & 7));
    umask[3] = static_cast<char>('0' + ((u >> 3) & 7));
    umask[4] = static_cast<char>('0' + (u & 7));
    umask[5] = '\0';
    TRY(out.appendf("%s\nState:\tR (running)\nTgid:\t1\nNgid:\t0\nPid:\t1\nPPid:\t0\n"
                    "TracerPid:\t0\n",
                    umask));
    const Credentials& c = credentials();
    TRY(out.appendf("Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", c.uid, c.euid, c.suid, c.fsuid,
                    c.gid, c.egid, c.sgid, c.fsgid));
    TRY(out.appendf("FDSize:\t%d\nGroups:\t", files().fds.end() < 64 ? 64 : files().fds.end()));
    for (int i = 0; i < c.group_count; i++)
        TRY(out.appendf("%u ", c.groups[i]));
    TRY(out.append("\nNStgid:\t1\nNSpid:\t1\nNSpgid:\t1\nNSsid:\t1\n"));
    uint64_t vm = vm_size_kb(), rss = rss_pages() * 4;
    TRY(kb_line(out, "VmPeak:", vm, 8));
    TRY(kb_line(out, "VmSize:", vm, 8));
    TRY(kb_line(out, "VmLck:", 0, 8));
    TRY(kb_line(out, "VmPin:", 0, 8));
    TRY(kb_line(out, "VmHWM:", rss, 8));
    TRY(kb_line(out, "VmRSS:", rss, 8));
    TRY(out.appendf("Threads:\t%zu\nSigQ:\t%lu/%lu\n", sched::live_threads(), queued_signal_count(),
                    process().sigpending_limit));
    TRY(out.append("SigPnd:\t0000000000000000\n"
                   "ShdPnd:\t0000000000000000\nCapInh:\t0000000000000000\n"
                   "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
                   "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n"
                   "Seccomp:\t0\nSeccomp_filters:\t0\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n"
                   "Mems_allowed:\t1\nMems_allowed_list:\t0\n"
                   "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n"));
    return {};
}

Result<void> gen_stat(TextBuffer& out, uint64_t) {
    uint64_t ticks = uptime_ns() / 10'000'000; // USER_HZ = 100
    uint64_t vm = vm_size_kb() * 1024;
    // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
    // cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize
    // rss rsslim ... (52 fields)
    TRY(out.appendf("1 (%s) R 0 1 1 0 -1 4194560 0 0 0 0 %lu 0 0 0 20 0 %zu 0 0 %lu %lu "
                    "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                    process().comm, ticks, sched::live_threads(), vm, rss_pages()));
    return {};
}

Result<void> gen_statm(TextBuffer& out, uint64_t) {
    return out.appendf("%lu %lu 0 0 0 %lu 0\n", vm_size_kb() / 4, rss_pages(), vm_size_kb() / 4);
}

// Calls `line(mount, where, options)` for each mount visible from the process's root, `where`
// being its path there and `options` its "rw,nosuid,..." string (without relatime); stops at
// the first error.
template <typename Line> Result<void> for_each_mount(Line line) {
    fs::Vfs& v = vfs();
    char* buffer = new (std::nothrow) char[fs::kPathMax];
    if (!buffer) return Errno::NOMEM;
    Result<void> r = {};
    for (size_t i = 0; i < v.mount_count() && !r.is_error(); i++) {
        fs::Mount& m = v.mount_at(i);
        auto where = v.path_of(files().context, {&m, m.root}, buffer, fs::kPathMax, false);
        if (where.is_error()) continue;
        char options[32];
        format(options, sizeof options, "%s%s%s%s", m.read_only() ? "ro" : "rw",
               m.flags & fs::Mount::kNoSuid ? ",nosuid" : "",
               m.flags & fs::Mount::kNoDev ? ",nodev" : "",
               m.flags & fs::Mount::kNoExec ? ",noexec" : "");
        r = line(m, *where, options);
    }
    delete[] buffer;
    return r;
}

Result<void> gen_mounts(TextBuffer& out, uint64_t) {
    return for_each_mount([&](fs::Mount& m, std::string_view where, const char* options) {
        return out.appendf("%s %.*s %s %s,relatime 0 0\n", m.source,
                           static_cast<int>(where.size()), where.data(), m.fs->type_name(),
                           options);
    });
}

Result<void> gen_mountinfo(TextBuffer& out, uint64_t) {
    return for_each_mount([&](fs::Mount& m, std::string_view where, const char* options) {
        return out.appendf("%u %u 0:%u / %.*s %s,relatime shared:1 - %s %s %s\n", m.id,
                           m.parent ? m.parent->id : 1, fs::dev_minor(m.fs->dev()),
                           static_cast<int>(where.size()), where.data(), options,
                           m.fs->type_name(), m.source, m.read_only() ? "ro" : "rw");
    });
}

Result<LinkTarget> jump_to(const fs::Path& path) {
    LinkTarget t;
    t.jump_mount = path.mount;
    t.jump_dentry = path.dentry;
    return t;
}

Result<LinkTarget> link_exe(char* scratch, uint64_t) {
    Files& f = files();
    auto path = f.vfs.resolve(f.context, f.context.root, process().exe_path, fs::kFollow);
    if (!path.is_error()) return jump_to(path.value());
    size_t n = strlen(process().exe_path);
    memcpy(scratch, process().exe_path, n);
    LinkTarget t;
    t.text = {scratch, n};
    return t;
}
Result<LinkTarget> link_cwd(char*, uint64_t) {
    return jump_to(files().context.cwd);
}
Result<LinkTarget> link_root(char*, uint64_t) {
    return jump_to(files().context.root);
}

uint64_t next_fd(uint64_t from) {
    FdTable& fds = files().fds;
    for (uint64_t fd = from; fd < static_cast<uint64_t>(fds.end()); fd++)
        if (fds.get(static_cast<int>(fd))) return fd;
    return ~0ull;
}

Result<LinkTarget> link_fd(char*, uint64_t fd) {
    fs::OpenFile* file = files().fds.get(static_cast<int>(fd));
    if (!file) return Errno::NOENT;
    return jump_to(path_of_file(*file));
}

Result<void> gen_fdinfo(TextBuffer& out, uint64_t fd) {
    fs::OpenFile* file = files().fds.get(static_cast<int>(fd));
    if (!file) return Errno::NOENT;
    TRY(out.appendf("pos:\t%lu\nflags:\t", file->offset));
    int flags = file->flags() | (files().fds.cloexec(static_cast<int>(fd)) ? 02000000 : 0);
    TRY(octal(out, static_cast<uint64_t>(flags)));
    fs::Attributes a;
    (void)file->vnode().getattr(a);
    return out.appendf("\nmnt_id:\t%u\nino:\t%lu\n", file->mount() ? file->mount()->id : 0, a.ino);
}

const PseudoEntry kFdLink = {"fd", kOwnerLink, nullptr, nullptr, &link_fd};
const PseudoEntry kFdInfoFile = {"fdinfo", kFile, &gen_fdinfo};
const fs::PseudoNumbered kFdNumbers = {&next_fd, &kFdLink};
const fs::PseudoNumbered kFdInfoNumbers = {&next_fd, &kFdInfoFile};

Result<void> gen_zero_line(TextBuffer& out, uint64_t) {
    return text(out, "0\n");
}
Result<size_t> store_ignored(const char*, size_t length, uint64_t) {
    return length;
}
Result<void> gen_cgroup(TextBuffer& out, uint64_t) {
    return text(out, "0::/\n");
}
const PseudoEntry kPidEntries[] = {
    {"cgroup", kFile, &gen_cgroup},
    {"cmdline", kFile, &gen_cmdline},
    {"comm", kWritable, &gen_comm, &store_comm},
    {"cwd", kOwnerLink, nullptr, nullptr, &link_cwd},
    {"environ", fs::kTypeRegular | 0400, &gen_environ},
    {"exe", kOwnerLink, nullptr, nullptr, &link_exe},
    {"fd", fs::kTypeDirectory | 0500, nullptr, nullptr, nullptr, nullptr, 0, &kFdNumbers},
    {"fdinfo", fs::kTypeDirectory | 0500, nullptr, nullptr, nullptr, nullptr, 0, &kFdInfoNumbers},
    {"maps", kFile, &gen_maps},
    {"mountinfo", kFile, &gen_mountinfo},
    {"mounts", kFile, &gen_mounts},
    {"oom_score_adj", kWritable, &gen_zero_line, &store_ignored},
    {"root", kOwnerLink, nullptr, nullptr, &link_root},
    {"stat", kFile, &gen_stat},
    {"statm", kFile, &gen_statm},
    {"status", kFile, &gen_status},
};

// ---- /proc ---------------------------------------------------------------------------------

Result<void> gen_cpuinfo(TextBuffer& out, uint64_t) {
    // CPUID.1:EDX feature names (arch/x86/include/asm/cpufeatures.h word 0).
    static const char* const kEdx[32] = {
        "fpu",  "vme",  "de",   "pse", "tsc",  "msr", "pae",   "mce", "cx8",     "apic",  nullptr,
        "sep",  "mtrr", "pge",  "mca", "cmov", "pat", "pse36", "pn",  "clflush", nullptr, "dts",
        "acpi", "mmx",  "fxsr", "sse", "sse2", "ss",  "ht",    "tm",  "ia64",    "pbe"};
    // One block per CPU, as Linux prints them (glibc's get_nprocs_conf counts "processor").
    unsigned cpus = platform::cpu_count();
    uint64_t edx = platform::hwcap();
    for (unsigned cpu = 0; cpu < cpus; cpu++) {
        TRY(out.appendf("processor\t: %u\nvendor_id\t: wisp\ncpu family\t: 6\nmodel\t\t: 0\n"
                        "model name\t: wisp virtual CPU\nstepping\t: 0\ncpu MHz\t\t: 1000.000\n"
                        "cache size\t: 0 KB\nphysical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\n"
                        "cpu cores\t: %u\napicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\n"
                        "fpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\nflags\t\t:",
                        cpu, cpus, cpu, cpus, cpu, cpu));
        for (int bit = 0; bit < 32; bit++)
            if ((edx >> bit & 1) && kEdx[bit]) TRY(out.appendf(" %s", kEdx[bit]));
        TRY(out.append(" syscall nx lm\nbogomips\t: 2000.00\nclflush size\t: 64\n"
                       "cache_alignment\t: 64\naddress sizes\t: 46 bits physical, 48 bits virtual\n"
                       "power management:\n\n"));
    }
    return {};
}

Result<void> gen_meminfo(TextBuffer& out, uint64_t) {
    mm::FrameStats s = mm::frames().stats();
    uint64_t total = s.total_frames * 4, free = (s.fresh_frames + s.dirty_frames) * 4;
    struct Line {
        const char* label;
        uint64_t kb;
    };
    const Line lines[] = {
        {"MemTotal:", total},
        {"MemFree:", free},
        {"MemAvailable:", free},
        {"Buffers:", 0},
        {"Cached:", 0},
        {"SwapCached:", 0},
        {"Active:", 0},
        {"Inactive:", 0},
        {"Active(anon):", 0},
        {"Inactive(anon):", 0},
        {"Active(file):", 0},
        {"Inactive(file):", 0},
        {"Unevictable:", 0},
        {"Mlocked:", 0},
        {"SwapTotal:", 0},
        {"SwapFree:", 0},
        {"Zswap:", 0},
        {"Zswapped:", 0},
        {"Dirty:", 0},
        {"Writeback:", 0},
        {"AnonPages:", total - free},
        {"Mapped:", 0},
        {"Shmem:", 0},
        {"KReclaimable:", 0},
        {"Slab:", 0},
        {"SReclaimable:", 0},
        {"SUnreclaim:", 0},
        {"KernelStack:", 32},
        {"PageTables:", 0},
        {"SecPageTables:", 0},
        {"NFS_Unstable:", 0},
        {"Bounce:", 0},
        {"WritebackTmp:", 0},
        {"CommitLimit:", total / 2},
        {"Committed_AS:", total - free},
        {"VmallocTotal:", 34359738367},
        {"VmallocUsed:", 0},
        {"VmallocChunk:", 0},
        {"Percpu:", 0},
        {"HugePages_Total:", 0},
        {"HugePages_Free:", 0},
        {"HugePages_Rsvd:", 0},
        {"HugePages_Surp:", 0},
        {"Hugepagesize:", 2048},
        {"Hugetlb:", 0},
        {"DirectMap4k:", total},
    };
    for (const Line& l : lines) {
        if (strncmp(l.label, "HugePages_", 10) == 0) { // a count, not kB
            TRY(out.append(l.label));
            for (size_t n = strlen(l.label); n < 16; n++)
                TRY(out.append(" "));
            TRY(out.appendf("%8lu\n", l.kb));
            continue;
        }
        TRY(kb_line(out, l.label, l.kb));
    }
    return {};
}

Result<void> gen_uptime(TextBuffer& out, uint64_t) {
    uint64_t cs = uptime_ns() / 10'000'000;
    return out.appendf("%lu.%02lu %lu.%02lu\n", cs / 100, cs % 100, cs / 100, cs % 100);
}

Result<void> gen_loadavg(TextBuffer& out, uint64_t) {
    return text(out, "0.00 0.00 0.00 1/1 1\n");
}

Result<void> gen_proc_stat(TextBuffer& out, uint64_t) {
    // proc(5): per CPU, ticks (USER_HZ = 100) of user nice system idle iowait irq softirq steal
    // guest guest_nice. wisp does not split a CPU's time: all of it is "user" but the steal time
    // (platform::stolen_ns), so that the fields still add up to the uptime.
    uint64_t ticks = uptime_ns() / 10'000'000;
    uint64_t boot = (platform::boot_epoch_ns()) / 1'000'000'000;
    unsigned cpus = platform::cpu_count();
    uint64_t steal[platform::kMaxCpus];
    uint64_t all_steal = 0;
    for (unsigned cpu = 0; cpu < cpus; cpu++) {
        uint64_t t = platform::stolen_ns(cpu) / 10'000'000;
        steal[cpu] = t < ticks ? t : ticks;
        all_steal += steal[cpu];
    }
    TRY(out.appendf("cpu  %lu 0 0 0 0 0 0 %lu 0 0\n", ticks * cpus - all_steal, all_steal));
    for (unsigned cpu = 0; cpu < cpus; cpu++)
        TRY(out.appendf("cpu%u %lu 0 0 0 0 0 0 %lu 0 0\n", cpu, ticks - steal[cpu], steal[cpu]));
    return out.appendf("intr 0\nctxt 0\nbtime %lu\nprocesses 1\nprocs_running 1\n"
                       "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
                       boot);
}

Result<void> gen_version(TextBuffer& out, uint64_t) {
    return text(out, "Linux version 6.1.0-wisp (wisp) #1 SMP wisp\n");
}

Result<void> gen_filesystems(TextBuffer& out, uint64_t) {
    return text(out, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tproc\nnodev\tpipefs\n"
                     "nodev\toverlay\n\terofs\n");
}

Result<void> gen_osrelease(TextBuffer& out, uint64_t) {
    return text(out, "6.1.0-wisp\n");
}
Result<void> gen_ostype(TextBuffer& out, uint64_t) {
    return text(out, "Linux\n");
}
Result<void> gen_hostname(TextBuffer& out, uint64_t) {
    return text(out, "wisp\n");
}
Result<void> gen_pid_max(TextBuffer& out, uint64_t) {
    return text(out, "4194304\n");
}
Result<void> gen_ngroups_max(TextBuffer& out, uint64_t) {
    return text(out, "65536\n");
}
Result<void> gen_cap_last_cap(TextBuffer& out, uint64_t) {
    return text(out, "40\n");
}
Result<void> gen_overflow_id(TextBuffer& out, uint64_t) {
    return text(out, "65534\n");
}
Result<void> gen_max_map_count(TextBuffer& out, uint64_t) {
    return text(out, "65530\n");
}
Result<void> gen_file_max(TextBuffer& out, uint64_t) {
    return text(out, "9223372036854775807\n");
}
Result<void> gen_nr_open(TextBuffer& out, uint64_t) {
    return text(out, "1048576\n");
}
Result<void> gen_pipe_max_size(TextBuffer& out, uint64_t) {
    return text(out, "1048576\n");
}
Result<void> gen_somaxconn(TextBuffer& out, uint64_t) {
    return text(out, "4096\n");
}
Result<void> gen_uuid(TextBuffer& out, uint64_t) {
    uint8_t b[16];
    random().fill(b, sizeof(b));
    b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40); // version 4
    b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80); // RFC 4122 variant
    for (int i = 0; i < 16; i++) {
        TRY(out.appendf("%02x", b[i]));
        if (i == 3 || i == 5 || i == 7 || i == 9) TRY(out.append("-"));
    }
    return out.append("\n");
}

const PseudoEntry kRandomEntries[] = {
    {"boot_id", kFile, &gen_uuid},
    {"uuid", kFile, &gen_uuid},
};
const PseudoEntry kKernelEntries[] = {
    {"cap_last_cap", kFile, &gen_cap_last_cap},
    {"hostname", kWritable, &gen_hostname, &store_ignored},
    {"ngroups_max", kFile, &gen_ngroups_max},
    {"osrelease", kFile, &gen_osrelease},
    {"ostype", kFile, &gen_ostype},
    {"overflowgid", kFile, &gen_overflow_id},
    {"overflowuid", kFile, &gen_overflow_id},
    {"pid_max", kWritable, &gen_pid_max, &store_ignored},
    {"random", kDir, nullptr, nullptr, nullptr, kRandomEntries, 2},
};
const PseudoEntry kVmEntries[] = {
    {"max_map_count", kWritable, &gen_max_map_count, &store_ignored},
    {"overcommit_memory", kWritable, &gen_zero_line, &store_ignored},
};
const PseudoEntry kFsEntries[] = {
    {"file-max", kWritable, &gen_file_max, &store_ignored},
    {"nr_open", kWritable, &gen_nr_open, &store_ignored},
    {"pipe-max-size", kWritable, &gen_pipe_max_size, &store_ignored},
};
const PseudoEntry kNetCoreEntries[] = {
    {"somaxconn", kWritable, &gen_somaxconn, &store_ignored},
};
const PseudoEntry kNetEntries[] = {
    {"core", kDir, nullptr, nullptr, nullptr, kNetCoreEntries, 1},
};
const PseudoEntry kSysEntries[] = {
    {"fs", kDir, nullptr, nullptr, nullptr, kFsEntries, 3},
    {"kernel", kDir, nullptr, nullptr, nullptr, kKernelEntries, 9},
    {"net", kDir, nullptr, nullptr, nullptr, kNetEntries, 1},
    {"vm", kDir, nullptr, nullptr, nullptr, kVmEntries, 2},
};

Result<LinkTarget> link_self(char*, uint64_t) {
    LinkTarget t;
    t.text = "1";
    return t;
}
Result<LinkTarget> link_mounts(char*, uint64_t) {
    LinkTarget t;
    t.text = "self/mounts";
    return t;
}

const PseudoEntry kProcEntries[] = {
    {"1", kDir, nullptr, nullptr, nullptr, kPidEntries,
     sizeof(kPidEntries) / sizeof(kPidEntries[0])},
    {"cpuinfo", kFile, &gen_cpuinfo},
    {"filesystems", kFile, &gen_filesystems},
    {"loadavg", kFile, &gen_loadavg},
    {"meminfo", kFile, &gen_meminfo},
    {"mounts", kLink, nullptr, nullptr, &link_mounts},
    {"self", kLink, nullptr, nullptr, &link_self},
    {"stat", kFile, &gen_proc_stat},
    {"sys", kDir, nullptr, nullptr, nullptr, kSysEntries, 4},
    {"uptime", kFile, &gen_uptime},
    {"version", kFile, &gen_version},
};
const PseudoEntry kProcRoot = {"/",
                               kDir,
                               nullptr,
                               nullptr,
                               nullptr,
                               kProcEntries,
                               sizeof(kProcEntries) / sizeof(kProcEntries[0])};

// ---- /sys ------------------------------------------------------------------------------------

Result<void> gen_cpu_range(TextBuffer& out, uint64_t) {
    unsigned cpus = platform::cpu_count();
    if (cpus == 1) return text(out, "0\n");
    return out.appendf("0-%u\n", cpus - 1);
}
Result<void> gen_kernel_max(TextBuffer& out, uint64_t) {
    return text(out, "8191\n");
}

const PseudoEntry kCpuEntries[] = {
    {"kernel_max", kFile, &gen_kernel_max},
    {"offline", kFile, [](TextBuffer& out, uint64_t) { return text(out, "\n"); }},
    {"online", kFile, &gen_cpu_range},
    {"possible", kFile, &gen_cpu_range},
    {"present", kFile, &gen_cpu_range},
};
const PseudoEntry kSystemEntries[] = {
    {"cpu", kDir, nullptr, nullptr, nullptr, kCpuEntries, 5},
};
const PseudoEntry kDevicesEntries[] = {
    {"system", kDir, nullptr, nullptr, nullptr, kSystemEntries, 1},
};
const PseudoEntry kSysfsEntries[] = {
    {"devices", kDir, nullptr, nullptr, nullptr, kDevicesEntries, 1},
};
const PseudoEntry kSysfsRoot = {"/", kDir, nullptr, nullptr, nullptr, kSysfsEntries, 1};

} // namespace

Result<fs::Own<fs::FileSystem>> make_procfs() {
    return Own<fs::FileSystem>(
        TRY(fs::PseudoFs::create("proc", kProcRoot, kProcMagic, 0, true)).leak());
}

Result<fs::Own<fs::FileSystem>> make_sysfs() {
    return Own<fs::FileSystem>(
        TRY(fs::PseudoFs::create("sysfs", kSysfsRoot, kSysfsMagic, 4096)).leak());
}

} // namespace wisp::linux
