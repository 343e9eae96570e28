// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/errno.h"
#include "net/addr.h"
#include "net/list.h"

// What the kernel's Linux layer builds sockets on. Every call is non-blocking and returns the
// errno Linux would (EAGAIN, EINPROGRESS, ...); blocking calls, SIGPIPE and struct sockaddr
// conversion are the Linux layer's job, driven by readiness events.
namespace wisp::net {

enum class SocketType : uint8_t { Tcp, Udp };

// Readiness bits, with Linux's epoll/poll values so the Linux layer passes them through.
enum PollEvents : uint32_t {
    kPollIn = 0x001,
    kPollPri = 0x002,
    kPollOut = 0x004,
    kPollErr = 0x008,
    kPollHup = 0x010,
    kPollRdNorm = 0x040,
    kPollWrNorm = 0x100,
    kPollRdHup = 0x2000,
};

// send/recv flags (Linux values).
enum MessageFlags : int {
    kMsgPeek = 0x2,
    kMsgTrunc = 0x20,
    kMsgDontWait = 0x40,
    kMsgWaitAll = 0x100,
    kMsgNoSignal = 0x4000,
};

enum class ShutdownHow : uint8_t { Read = 0, Write = 1, Both = 2 }; // SHUT_RD, SHUT_WR, SHUT_RDWR

// Socket options. Values are ints as in setsockopt(2); the Linux layer maps SOL_SOCKET /
// IPPROTO_TCP / IPPROTO_IP option numbers onto these.
enum class SocketOption : uint8_t {
    ReuseAddress,  // SO_REUSEADDR
    ReusePort,     // SO_REUSEPORT
    KeepAlive,     // SO_KEEPALIVE
    Linger,        // SO_LINGER: -1 = off, else l_linger seconds (l_onoff = 1)
    ReceiveBuffer, // SO_RCVBUF (stored doubled, as Linux does)
    SendBuffer,    // SO_SNDBUF (stored doubled)
    Error,         // SO_ERROR (get only; reading clears it)
    Type,          // SO_TYPE (get only): 1 = SOCK_STREAM, 2 = SOCK_DGRAM
    AcceptConn,    // SO_ACCEPTCONN (get only)
    Broadcast,     // SO_BROADCAST
    NoDelay,       // TCP_NODELAY
    KeepIdle,      // TCP_KEEPIDLE, seconds
    KeepInterval,  // TCP_KEEPINTVL, seconds
    KeepCount,     // TCP_KEEPCNT
    MaxSegment,    // TCP_MAXSEG
    Ttl,           // IP_TTL
};

// Called when a socket's readiness may have changed (data arrived, space freed, connection
// established or reset). `events` is the socket's current poll mask. Runs inside the stack:
// the callee may only record the event and wake waiters, not call back into the stack.
class Socket;
using SocketCallback = void (*)(void* context, Socket& socket, uint32_t events);

// Linux sk_shutdown bits.
constexpr uint8_t kReceiveShutdown = 1;
constexpr uint8_t kSendShutdown = 2;

class Socket {
public:
    SocketType type() const { return m_type; }
    void set_callback(SocketCallback callback, void* context) {
        m_callback = callback;
        m_callback_context = context;
    }
    Endpoint local() const { return m_local; }
    Endpoint remote() const { return m_remote; }

protected:
    explicit Socket(SocketType type) : m_type(type) {}
    ~Socket() = default;

public:
    // State shared by the protocols; the stack's code reads and writes it directly.
    SocketType m_type;
    bool m_user_closed = false;   // close() called: the stack frees it when the protocol is done
    bool m_bound = false;
    bool m_reuse_address = false;
    bool m_reuse_port = false;
    bool m_keepalive = false;
    bool m_broadcast = false;
    uint8_t m_shutdown = 0;       // kReceiveShutdown | kSendShutdown
    uint8_t m_ttl = 64;
    int32_t m_linger = -1;
    Errno m_error{};              // pending SO_ERROR (0 = none)
    bool m_has_error = false;
    uint32_t m_send_buffer = 0;
    uint32_t m_receive_buffer = 0;
    Endpoint m_local;
    Endpoint m_remote;
    SocketCallback m_callback = nullptr;
    void* m_callback_context = nullptr;
    ListLink<Socket> m_port_link; // in the stack's port table while bound
    ListLink<Socket> m_all_link;  // in the stack's list of every live socket
    bool m_ephemeral_bind = false; // bound implicitly by connect()/sendto()

    void set_error(Errno e) {
        m_error = e;
        m_has_error = true;
    }
    // Takes the pending error (sock_error() in Linux).
    bool take_error(Errno& out) {
        if (!m_has_error) return false;
        out = m_error;
        m_has_error = false;
        return true;
    }
};

} // namespace wisp::net
