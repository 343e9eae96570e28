# SPDX-License-Identifier: MIT
set(UNIT_LIBS wisp_vmm)
# Some tests boot or symbolize the real kernel ELF: build it first. (This file is included
# before unit_vmm exists, hence the deferred call.)
cmake_language(DEFER CALL add_dependencies unit_vmm wisp-kernel)
