// SPDX-License-Identifier: MIT
#pragma once

// The console: the app's descriptors 0, 1 and 2 as it starts (the host's stdin, stdout and
// stderr), and the /dev/console and /dev/tty devices. Output goes to the host straight from the
// application's pages (platform::write per page, no copy).
#include <span>
#include <string_view>

#include "fs/vfs.h"

namespace wisp::linux {

// Finds the virtio consoles (`virtio_mmio.device=` values) and listens to the host's control
// records (Ctrl-C, the end of stdin). Before the application starts.
void init_console(std::span<const std::string_view> virtio_params);
// Opens descriptors 0 (read), 1 and 2 (write). They present themselves as pipes (S_IFIFO,
// no terminal ioctls), which is what the same program sees natively under a test harness.
Result<void> open_console_descriptors(fs::Vfs& vfs);
// /dev/console (5:1) and /dev/tty (5:0; ENXIO: there is no controlling terminal).
Result<void> register_console_devices(fs::Vfs& vfs);

} // namespace wisp::linux
