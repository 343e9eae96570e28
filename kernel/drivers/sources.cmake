# SPDX-License-Identifier: MIT
# Device drivers: the interrupt dispatch table and virtio (transport, virtqueues, console).
list(APPEND WISP_PORTABLE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/virtio/mmio_param.cpp)
list(APPEND WISP_KERNEL_SOURCES ${CMAKE_CURRENT_LIST_DIR}/interrupts.cpp
    ${CMAKE_CURRENT_LIST_DIR}/virtio/virtqueue.cpp ${CMAKE_CURRENT_LIST_DIR}/virtio/mmio.cpp
    ${CMAKE_CURRENT_LIST_DIR}/virtio/console.cpp)
