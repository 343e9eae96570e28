// SPDX-License-Identifier: MIT
#pragma once

// /proc and /sys for the one process (fs/pseudo_fs.h tables filled from the kernel's state).
#include "fs/vnode.h"

namespace wisp::linux {

Result<fs::Own<fs::FileSystem>> make_procfs();
Result<fs::Own<fs::FileSystem>> make_sysfs();

} // namespace wisp::linux
