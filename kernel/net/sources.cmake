# SPDX-License-Identifier: MIT
# The TCP/IP stack: portable (kernel and host). Host-only helpers for tests and tools
# (in-memory link, heap memory) live in net/host/.
list(APPEND WISP_PORTABLE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/addr.cpp
    ${CMAKE_CURRENT_LIST_DIR}/arp.cpp
    ${CMAKE_CURRENT_LIST_DIR}/checksum.cpp
    ${CMAKE_CURRENT_LIST_DIR}/dhcp.cpp
    ${CMAKE_CURRENT_LIST_DIR}/icmp.cpp
    ${CMAKE_CURRENT_LIST_DIR}/ipv4.cpp
    ${CMAKE_CURRENT_LIST_DIR}/packet.cpp
    ${CMAKE_CURRENT_LIST_DIR}/siphash.cpp
    ${CMAKE_CURRENT_LIST_DIR}/stack.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_buffers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_congestion.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_input.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_output.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_timers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_wire.cpp
    ${CMAKE_CURRENT_LIST_DIR}/timer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/udp.cpp
)
list(APPEND WISP_HOST_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/host/frames.cpp
    ${CMAKE_CURRENT_LIST_DIR}/host/host.cpp
    ${CMAKE_CURRENT_LIST_DIR}/host/sim.cpp
)
