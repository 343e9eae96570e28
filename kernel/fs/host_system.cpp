// SPDX-License-Identifier: MIT
// Host builds (unit tests, tools): pages from the C heap, the host's clock. Tests can cap the
// pages (to see ENOSPC/ENOMEM paths) and count what is outstanding (to see leaks).
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/host_testing.h"
#include "fs/system.h"

namespace wisp::fs {

namespace {
uint64_t g_page_limit = ~0ull;
uint64_t g_pages_outstanding = 0;
} // namespace

void* allocate_page(bool zeroed) {
    if (g_pages_outstanding >= g_page_limit) return nullptr;
    void* page = aligned_alloc(kPageSize, kPageSize);
    if (!page) return nullptr;
    // Not-zeroed pages get a pattern, so code that forgets to clear shows up in tests.
    memset(page, zeroed ? 0 : 0xa5, kPageSize);
    g_pages_outstanding++;
    return page;
}

void free_page(void* page) {
    if (!page) return;
    g_pages_outstanding--;
    free(page);
}

void file_pages_changing(const Vnode&, uint64_t, uint64_t) {}

uint64_t free_page_estimate() {
    return g_page_limit == ~0ull ? 65536 : g_page_limit - g_pages_outstanding;
}
uint64_t total_page_estimate() {
    return g_page_limit == ~0ull ? 65536 : g_page_limit;
}

Timestamp current_time() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

namespace host_testing {
void set_page_limit(uint64_t pages) {
    g_page_limit = pages;
}
uint64_t pages_outstanding() {
    return g_pages_outstanding;
}
} // namespace host_testing

} // namespace wisp::fs
