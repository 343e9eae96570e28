// SPDX-License-Identifier: MIT
#include "linux/vdso.h"

#include "mm/address_space.h"
#include "mm/frames.h"
#include "platform/platform.h"
#include "vdso/vvar.h"

// vdso/vdso_image.S: linux-vdso.so.1 as linked, page-aligned in the kernel's read-only data.
extern "C" const uint8_t wisp_vdso_image_start[], wisp_vdso_image_end[];

namespace wisp::linux {

Result<uint64_t> map_vdso() {
    auto& as = mm::address_space();
    uint64_t image_pages = (static_cast<uint64_t>(wisp_vdso_image_end - wisp_vdso_image_start) +
                            mm::kPageSize - 1) / mm::kPageSize;
    uint64_t vvar_pages = vdso::kVvarBytes / mm::kPageSize;
    // The mmap area is randomized at exec, and so is this place in it (as Linux since 6.x).
    uint64_t base = TRY(as.find_free((vvar_pages + image_pages) * mm::kPageSize));
    TRY(as.map_kernel_pages(base, platform::user_clock_page(), vvar_pages, platform::ProtRead,
                            "[vvar]"));
    uint64_t ehdr = base + vvar_pages * mm::kPageSize;
    TRY(as.map_kernel_pages(ehdr, platform::virt_to_phys(wisp_vdso_image_start), image_pages,
                            platform::ProtRead | platform::ProtExec, "[vdso]"));
    return ehdr;
}

} // namespace wisp::linux
