// SPDX-License-Identifier: MIT
#pragma once

// The console: the app's descriptors 0, 1 and 2 as it starts (the host's stdin, stdout and
// stderr), and the /dev/console and /dev/tty devices. Output goes to the host straight from the
// application's pages (platform::write per page, no copy).
#include <span>
#include <string_view>

#include "fs/vfs.h"

namespace wisp::linux {

// Finds the virtio consoles (`virtio_mmio.device=` values), sets up the terminal when the
// host's is one (the console.tty boot option, abi/terminal.h; empty: none) and listens to the
// host's control records (Ctrl-C, the end of stdin, window sizes). Before the application
// starts.
void init_console(std::span<const std::string_view> virtio_params, std::string_view tty);
// Opens descriptors 0 (read), 1 and 2 (write). Those that are the host's terminal share one
// read-write open of /dev/console (a terminal); the others present themselves as pipes
// (S_IFIFO, no terminal ioctls), what the same program sees natively under a test harness.
Result<void> open_console_descriptors(fs::Vfs& vfs);
// /dev/console (5:1) and /dev/tty (5:0; ENXIO without a controlling terminal).
Result<void> register_console_devices(fs::Vfs& vfs);

} // namespace wisp::linux
