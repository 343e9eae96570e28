# SPDX-License-Identifier: MIT
list(APPEND WISP_KERNEL_SOURCES ${CMAKE_CURRENT_LIST_DIR}/run_clock.cpp)
