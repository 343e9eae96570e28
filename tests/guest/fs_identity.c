// SPDX-License-Identifier: MIT
// Identity and resource calls: getuid & co, getgroups/setgroups, setuid & co as root and after
// giving root up (and taking it back through the saved uid), sysinfo, times, getrusage,
// sched_getaffinity, prctl basics, uname.
#include "fs_check.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>

static void ids(const char* label) {
    unsigned r, e, s, gr, ge, gs;
    SYS(SYS_getresuid, &r, &e, &s);
    SYS(SYS_getresgid, &gr, &ge, &gs);
    printf("%s: uid %u %u %u gid %u %u %u\n", label, r, e, s, gr, ge, gs);
}

int main(void) {
    T("getuid", SYS(SYS_getuid));
    T("geteuid", SYS(SYS_geteuid));
    T("getgid", SYS(SYS_getgid));
    T("getegid", SYS(SYS_getegid));
    unsigned groups[64];
    long n = T("getgroups count", SYS(SYS_getgroups, 0, NULL));
    T("getgroups", SYS(SYS_getgroups, 64, groups));
    printf("first group %u\n", n > 0 ? groups[0] : 9999);
    T("getgroups too small", n > 0 ? SYS(SYS_getgroups, n - 1, groups) : (errno = EINVAL, -1));
    T("getgroups negative", SYS(SYS_getgroups, -1, groups));
    T("getgroups NULL", n > 0 ? SYS(SYS_getgroups, 64, NULL) : (errno = EFAULT, -1));
    T("getresuid NULL", SYS(SYS_getresuid, NULL, NULL, NULL));

    unsigned mine[3] = {0, 10, 20};
    T("setgroups", SYS(SYS_setgroups, 3, mine));
    T("getgroups after", SYS(SYS_getgroups, 64, groups));
    printf("groups %u %u %u\n", groups[0], groups[1], groups[2]);
    T("setgroups bad pointer", SYS(SYS_setgroups, 2, KERNEL_POINTER));
    T("setgroups negative", SYS(SYS_setgroups, -1, mine));

    T("setuid 0", SYS(SYS_setuid, 0));
    T("setgid 0", SYS(SYS_setgid, 0));
    T("setuid -1", SYS(SYS_setuid, -1));
    T("setresgid", SYS(SYS_setresgid, 100, 100, 0));
    ids("after setresgid");
    T("setregid", SYS(SYS_setregid, 0, 0));
    ids("after setregid");
    T("setfsuid", SYS(SYS_setfsuid, 5));
    T("setfsuid again", SYS(SYS_setfsuid, 0));
    T("setresuid keep saved root", SYS(SYS_setresuid, 1000, 1000, 0));
    ids("unprivileged");
    T("setuid other", SYS(SYS_setuid, 2000));
    T("setresuid other", SYS(SYS_setresuid, -1, 2000, -1));
    T("setgroups unprivileged", SYS(SYS_setgroups, 1, mine));
    T("setgid other", SYS(SYS_setgid, 2000));
    T("seteuid saved root", SYS(SYS_setresuid, -1, 0, -1));
    ids("root again");
    T("setuid all", SYS(SYS_setuid, 0));
    T("setreuid", SYS(SYS_setreuid, 0, 0));
    ids("final");

    struct sysinfo si;
    T("sysinfo", sysinfo(&si));
    printf("sysinfo: mem_unit %u totalram>0 %d procs>0 %d\n", si.mem_unit, si.totalram > 0,
           si.procs > 0);
    T("sysinfo NULL", SYS(SYS_sysinfo, NULL));
    struct tms t;
    printf("times: %d\n", times(&t) != (clock_t)-1);
    T("times NULL", SYS(SYS_times, NULL) >= 0 ? 0 : -1);
    T("times bad pointer", SYS(SYS_times, KERNEL_POINTER));
    struct rusage ru;
    T("getrusage self", getrusage(RUSAGE_SELF, &ru));
    printf("maxrss>0 %d\n", ru.ru_maxrss > 0);
    T("getrusage children", getrusage(RUSAGE_CHILDREN, &ru));
    T("getrusage bad who", SYS(SYS_getrusage, 5, &ru));
    T("getrusage NULL", SYS(SYS_getrusage, RUSAGE_SELF, NULL));
    uint64_t mask[16] = {0};
    T("sched_getaffinity", SYS(SYS_sched_getaffinity, 0, sizeof mask, mask) > 0 ? 0 : -1);
    printf("cpu 0 allowed %d\n", (int)(mask[0] & 1));
    T("sched_getaffinity short", SYS(SYS_sched_getaffinity, 0, 4, mask));
    T("sched_getaffinity odd", SYS(SYS_sched_getaffinity, 0, 12, mask));
    T("sched_getaffinity other pid", SYS(SYS_sched_getaffinity, 999999, sizeof mask, mask));
    T("sched_getaffinity NULL", SYS(SYS_sched_getaffinity, 0, sizeof mask, NULL));
    T("sched_setaffinity cpu 0", SYS(SYS_sched_setaffinity, 0, sizeof mask, mask));

    char name[16] = {0};
    T("PR_SET_NAME", prctl(PR_SET_NAME, "a-very-long-thread-name"));
    T("PR_GET_NAME", prctl(PR_GET_NAME, name));
    printf("name %s\n", name);
    T("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE));
    T("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2));
    T("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0));
    T("PR_GET_DUMPABLE after", prctl(PR_GET_DUMPABLE));
    T("PR_SET_PDEATHSIG", prctl(PR_SET_PDEATHSIG, 9));
    int sig = 0;
    T("PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &sig));
    printf("pdeathsig %d\n", sig);
    T("PR_SET_PDEATHSIG bad", prctl(PR_SET_PDEATHSIG, 100));
    T("PR_SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    T("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    T("prctl bad option", prctl(9999));
    T("PR_SET_NAME NULL", prctl(PR_SET_NAME, NULL));

    struct utsname u;
    T("uname", uname(&u));
    printf("sysname %s machine %s\n", u.sysname, u.machine);
    T("uname NULL", SYS(SYS_uname, NULL));
    return 0;
}
