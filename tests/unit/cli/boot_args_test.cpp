// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "boot_args.h"

using namespace wisp::cli;
using Strings = std::vector<std::string>;

TEST(BootArgs, ForProgram) {
    RunOptions options;
    options.args = {"-x", "--y", ""};
    options.env = {"A=1", "HOME=/root"};
    BootArgs boot = boot_args_for_program(options, "/usr/bin/app");
    EXPECT_EQ(boot.options,
              (Strings{"env=PATH=/usr/local/bin:/usr/bin:/bin", "env=A=1", "env=HOME=/root"}));
    EXPECT_EQ(boot.argv, (Strings{"/usr/bin/app", "-x", "--y", ""}));
}

TEST(BootArgs, Flags) {
    RunOptions options;
    options.strace = true;
    options.timings = true;
    options.kernel_options = {"test.panic"};
    BootArgs boot = boot_args_for_program(options, "/app");
    EXPECT_EQ(boot.options, (Strings{"env=PATH=/usr/local/bin:/usr/bin:/bin", "env=HOME=/",
                                     "strace", "timings", "test.panic"}));
    EXPECT_EQ(boot.argv, (Strings{"/app"}));
}

TEST(BootArgs, ForImageOnlyOverrides) {
    RunOptions options;
    BootArgs plain = boot_args_for_image(options);
    EXPECT_TRUE(plain.options.empty());
    EXPECT_TRUE(plain.argv.empty()); // the image's own argv applies

    options.env = {"A=1"};
    options.args = {"/bin/other", "arg"};
    options.strace = true;
    BootArgs boot = boot_args_for_image(options);
    EXPECT_EQ(boot.options, (Strings{"env=A=1", "strace"}));
    EXPECT_EQ(boot.argv, (Strings{"/bin/other", "arg"}));
}
