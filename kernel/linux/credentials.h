// SPDX-License-Identifier: MIT
#pragma once

// The process's user and group identities (Linux struct cred). The application starts as root;
// it may change identities as Linux lets a process with CAP_SETUID/CAP_SETGID (while its
// effective uid is 0), and as an unprivileged one after that. File permission checks stay those
// of root (FIXME: enforce modes for a process that gave up root).
#include <stdint.h>

namespace wisp::linux {

struct Credentials {
    static constexpr int kMaxGroups = 64;
    uint32_t uid = 0, euid = 0, suid = 0, fsuid = 0;
    uint32_t gid = 0, egid = 0, sgid = 0, fsgid = 0;
    uint32_t groups[kMaxGroups] = {};
    int group_count = 0;  // none, as for Linux's first process (init_groups)
    bool dumpable = true; // prctl(PR_GET_DUMPABLE); cleared when the effective ids change
    bool privileged() const { return euid == 0; }
};

Credentials& credentials();

} // namespace wisp::linux
