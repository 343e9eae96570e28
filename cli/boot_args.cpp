// SPDX-License-Identifier: MIT
#include "boot_args.h"

#include "options.h"

namespace wisp::cli {

namespace {

void add_flags(const RunOptions& options, BootArgs& boot) {
    if (options.strace) boot.options.push_back("strace");
    // The kernel records its boot milestones only when asked (kernel/lib/timeline.h).
    if (options.timings) boot.options.push_back("timings");
    boot.options.insert(boot.options.end(), options.kernel_options.begin(),
                        options.kernel_options.end());
}

} // namespace

BootArgs boot_args_for_program(const RunOptions& options, const std::string& program) {
    BootArgs boot;
    for (const std::string& entry : merged_environment(options.env))
        boot.options.push_back("env=" + entry);
    add_flags(options, boot);
    boot.argv.push_back(program);
    boot.argv.insert(boot.argv.end(), options.args.begin(), options.args.end());
    return boot;
}

BootArgs boot_args_for_image(const RunOptions& options) {
    BootArgs boot;
    for (const std::string& entry : options.env)
        boot.options.push_back("env=" + entry);
    add_flags(options, boot);
    boot.argv = options.args;
    return boot;
}

} // namespace wisp::cli
