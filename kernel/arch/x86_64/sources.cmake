# SPDX-License-Identifier: MIT
file(GLOB _arch_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.S ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
list(APPEND WISP_KERNEL_SOURCES ${_arch_sources})
