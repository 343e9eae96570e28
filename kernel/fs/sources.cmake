# SPDX-License-Identifier: MIT
list(APPEND WISP_PORTABLE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/erofs.cpp
    ${CMAKE_CURRENT_LIST_DIR}/flock.cpp
    ${CMAKE_CURRENT_LIST_DIR}/dentry.cpp
    ${CMAKE_CURRENT_LIST_DIR}/devices.cpp
    ${CMAKE_CURRENT_LIST_DIR}/image_fs.cpp
    ${CMAKE_CURRENT_LIST_DIR}/open_file.cpp
    ${CMAKE_CURRENT_LIST_DIR}/overlay.cpp
    ${CMAKE_CURRENT_LIST_DIR}/page_tree.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pipe.cpp
    ${CMAKE_CURRENT_LIST_DIR}/pseudo_fs.cpp
    ${CMAKE_CURRENT_LIST_DIR}/record_locks.cpp
    ${CMAKE_CURRENT_LIST_DIR}/text_buffer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tmpfs.cpp
    ${CMAKE_CURRENT_LIST_DIR}/vfs.cpp)
list(APPEND WISP_KERNEL_SOURCES ${CMAKE_CURRENT_LIST_DIR}/kernel_system.cpp)
list(APPEND WISP_HOST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/host_system.cpp)
