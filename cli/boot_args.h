// SPDX-License-Identifier: MIT
#pragma once

// What `wisp run` puts on the kernel command line (DESIGN.md §2 Boot): kernel options, then
// `--`, then the app's argv. build_cmdline (kernel/lib/cmdline.h) renders it with quoting.
#include <string>
#include <vector>

#include "run.h"

namespace wisp::cli {

struct BootArgs {
    std::vector<std::string> options; // env=KEY=VAL..., strace, timings, --kernel-option
    std::vector<std::string> argv;    // empty: no `--`, the image's default argv applies
};

// For running `program` (an absolute host path, packed at the same path in the image): the
// default environment merged with -e, the flags, argv = program + ARGS.
BootArgs boot_args_for_program(const RunOptions& options, const std::string& program);

// For booting an existing image: only what the user overrides (its -e values and flags). ARGS,
// when given, replace the image's whole default argv (argv[0] included), like
// `docker run IMAGE CMD...`.
BootArgs boot_args_for_image(const RunOptions& options);

} // namespace wisp::cli
