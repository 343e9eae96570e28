# SPDX-License-Identifier: MIT
# The vDSO is a user-mode shared object of its own (vdso.cpp, linked by vdso.ld), built with the
# host compiler and embedded in the kernel by vdso_image.S.
set(WISP_VDSO_SO ${CMAKE_CURRENT_BINARY_DIR}/vdso/linux-vdso.so.1)
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/vdso)
add_custom_command(OUTPUT ${WISP_VDSO_SO}
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -O2 -Wall -Wextra -Werror -fPIC -ffreestanding
            -fno-exceptions -fno-rtti -fno-stack-protector -fno-builtin -fcf-protection=none
            -I${CMAKE_CURRENT_LIST_DIR}/.. -nostdlib -shared -Wl,-T,${CMAKE_CURRENT_LIST_DIR}/vdso.ld
            -Wl,-soname=linux-vdso.so.1 -Wl,--hash-style=both -Wl,--eh-frame-hdr -Wl,-Bsymbolic
            -Wl,--no-undefined -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--build-id=none
            -o ${WISP_VDSO_SO} ${CMAKE_CURRENT_LIST_DIR}/vdso.cpp
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/check_vdso.sh ${WISP_VDSO_SO}
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/vdso.cpp ${CMAKE_CURRENT_LIST_DIR}/vvar.h
            ${CMAKE_CURRENT_LIST_DIR}/vdso.ld ${CMAKE_CURRENT_LIST_DIR}/check_vdso.sh
    COMMENT "vDSO (linux-vdso.so.1)")
list(APPEND WISP_KERNEL_SOURCES ${CMAKE_CURRENT_LIST_DIR}/vdso_image.S)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/vdso_image.S PROPERTIES
    OBJECT_DEPENDS ${WISP_VDSO_SO} COMPILE_DEFINITIONS WISP_VDSO_PATH="${WISP_VDSO_SO}")
