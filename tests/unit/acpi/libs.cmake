# SPDX-License-Identifier: MIT
set(UNIT_LIBS wisp_vmm)
