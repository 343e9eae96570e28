# SPDX-License-Identifier: MIT
file(GLOB _arch_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.S ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
# The ACPI table parser touches no CPU state: the host unit tests compile it too.
list(REMOVE_ITEM _arch_sources ${CMAKE_CURRENT_LIST_DIR}/acpi.cpp)
list(APPEND WISP_PORTABLE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/acpi.cpp)
list(APPEND WISP_KERNEL_SOURCES ${_arch_sources})
