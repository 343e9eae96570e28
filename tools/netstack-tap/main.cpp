// SPDX-License-Identifier: MIT
// wisp-netstack-tap: runs wisp's TCP/IP stack as a Linux process on a TAP device inside a
// network namespace, serving TCP echo (7), discard (9) and HTTP (80, "GET /N" returns N
// bytes of a known pattern), plus UDP echo (7) and ICMP echo. Tests talk to it with Linux's
// own TCP from inside the namespace.
//
//   wisp-netstack-tap --netns NS --tap TAP --ip 10.0.0.2/24 [--loss 0.05 --seed 1]
//
// --loss drops that fraction of frames in each direction (the kernel here has no netem).
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/host/host.h"
#include "net/stack.h"
#include "pattern.h"

using namespace wisp::net;
using wisp::net::host::HeapMemory;
using wisp::net::host::MonotonicClock;
using wisp::net::host::SeededRandom;
using wisp::net::host::SystemRandom;

namespace {

struct UserError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Options {
    std::string netns;
    std::string tap;
    Ipv4Address ip;
    uint8_t prefix = 24;
    double loss = 0;
    uint64_t seed = 1;
    bool quiet = false;
};

Options parse_options(int argc, char** argv) {
    Options o;
    bool have_ip = false;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw UserError(a + " needs a value (see --help)");
            return argv[++i];
        };
        if (a == "--netns") {
            o.netns = value();
        } else if (a == "--tap") {
            o.tap = value();
        } else if (a == "--ip") {
            std::string v = value();
            auto slash = v.find('/');
            std::string addr = v.substr(0, slash);
            if (!parse_ipv4(addr.c_str(), o.ip))
                throw UserError("--ip " + v + ": not an IPv4 address (use e.g. 10.0.0.2/24)");
            if (slash != std::string::npos) {
                int p = atoi(v.c_str() + slash + 1);
                if (p < 1 || p > 30) throw UserError("--ip " + v + ": prefix must be 1..30");
                o.prefix = uint8_t(p);
            }
            have_ip = true;
        } else if (a == "--loss") {
            o.loss = atof(value().c_str());
            if (o.loss < 0 || o.loss >= 1) throw UserError("--loss must be in [0, 1)");
        } else if (a == "--seed") {
            o.seed = strtoull(value().c_str(), nullptr, 10);
        } else if (a == "--quiet") {
            o.quiet = true;
        } else if (a == "--help" || a == "-h") {
            printf("usage: wisp-netstack-tap --netns NS --tap TAP --ip A.B.C.D/P [--loss P --seed N]\n");
            exit(0);
        } else {
            throw UserError("unknown option " + a + " (see --help)");
        }
    }
    if (o.tap.empty()) throw UserError("--tap NAME is required");
    if (!have_ip) throw UserError("--ip A.B.C.D/P is required");
    if (o.tap.size() >= IFNAMSIZ) throw UserError("--tap name too long");
    return o;
}

void enter_netns(const std::string& name) {
    std::string path = "/run/netns/" + name;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw UserError("cannot open network namespace " + path + ": " + strerror(errno) +
                        " (create it with: ip netns add " + name + ")");
    if (setns(fd, CLONE_NEWNET) != 0) {
        close(fd);
        throw UserError("setns(" + name + "): " + strerror(errno) + " (run as root)");
    }
    close(fd);
}

int open_tap(const std::string& name) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        throw UserError(std::string("cannot open /dev/net/tun: ") + strerror(errno) +
                        " (needs root and the tun module)");
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        int e = errno;
        close(fd);
        throw UserError("TUNSETIFF " + name + ": " + strerror(e));
    }
    // Bring the link up from our side too; the test assigns Linux's address.
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
        ifreq up{};
        strncpy(up.ifr_name, name.c_str(), IFNAMSIZ - 1);
        if (ioctl(s, SIOCGIFFLAGS, &up) == 0) {
            up.ifr_flags |= IFF_UP;
            (void)ioctl(s, SIOCSIFFLAGS, &up);
        }
        close(s);
    }
    return fd;
}

class TapNic final : public Nic {
public:
    TapNic(int fd, MacAddress mac, double loss, uint64_t seed)
        : m_fd(fd), m_mac(mac), m_loss(loss), m_random(seed) {}
    MacAddress mac_address() const override { return m_mac; }
    uint16_t mtu() const override { return 1500; }
    void transmit(Packet&& frame) override {
        if (drop()) {
            tx_dropped++;
            return;
        }
        uint8_t buf[2048];
        size_t n = frame.total_length();
        if (n > sizeof(buf)) return;
        frame.copy_out(0, buf, n);
        ssize_t w = write(m_fd, buf, n);
        if (w == ssize_t(n))
            tx_frames++;
        else
            tx_errors++;
    }
    bool drop() { return m_loss > 0 && m_random.next_double() < m_loss; }

    uint64_t tx_frames = 0, tx_dropped = 0, tx_errors = 0;

private:
    int m_fd;
    MacAddress m_mac;
    double m_loss;
    SeededRandom m_random;
};

enum class Service { Echo, Discard, Http };

struct Connection {
    Socket* socket = nullptr;
    Service service = Service::Echo;
    std::vector<uint8_t> pending; // echo: received, not yet sent back
    size_t pending_offset = 0;
    std::string request;          // http: the request head so far
    bool responding = false;
    std::string head;
    size_t head_sent = 0;
    uint64_t body_length = 0;
    uint64_t body_sent = 0;
    bool peer_eof = false;
    bool done = false;
};

class Servers {
public:
    explicit Servers(Stack& stack) : m_stack(stack) {}

    void listen(uint16_t port, Service service) {
        Socket* l = m_stack.socket(SocketType::Tcp).value();
        (void)m_stack.set_option(l, SocketOption::ReuseAddress, 1);
        if (m_stack.bind(l, Endpoint{{}, port}).is_error() || m_stack.listen(l, 128).is_error())
            throw std::runtime_error("listen failed");
        m_listeners.push_back({l, service});
    }
    void listen_udp_echo(uint16_t port) {
        m_udp = m_stack.socket(SocketType::Udp).value();
        if (m_stack.bind(m_udp, Endpoint{{}, port}).is_error())
            throw std::runtime_error("udp bind failed");
    }

    void service() {
        for (auto& [l, kind] : m_listeners) {
            while (true) {
                auto r = m_stack.accept(l, nullptr);
                if (r.is_error()) break;
                auto c = std::make_unique<Connection>();
                c->socket = r.value();
                c->service = kind;
                m_connections.push_back(std::move(c));
            }
        }
        for (auto& c : m_connections) service(*c);
        std::erase_if(m_connections, [](const std::unique_ptr<Connection>& c) { return c->done; });
        if (m_udp) {
            uint8_t buf[65536];
            while (true) {
                Endpoint from;
                auto r = m_stack.receive_from(m_udp, std::span<uint8_t>(buf), 0, &from);
                if (r.is_error()) break;
                (void)m_stack.send_to(m_udp, std::span<const uint8_t>(buf, r.value()), 0, &from);
            }
        }
    }
    size_t connections() const { return m_connections.size(); }

private:
    void finish(Connection& c) {
        m_stack.close(c.socket);
        c.done = true;
    }

    void service(Connection& c) {
        uint8_t buf[65536];
        switch (c.service) {
        case Service::Discard:
            while (true) {
                auto r = m_stack.receive(c.socket, std::span<uint8_t>(buf));
                if (r.is_error()) {
                    if (r.error().code != wisp::Errno::AGAIN) finish(c);
                    return;
                }
                if (r.value() == 0) {
                    finish(c);
                    return;
                }
            }
        case Service::Echo:
            while (true) {
                // Flow control: stop reading while 1 MiB waits to be sent back.
                if (c.pending.size() - c.pending_offset < (1u << 20) && !c.peer_eof) {
                    auto r = m_stack.receive(c.socket, std::span<uint8_t>(buf));
                    if (r.is_error() && r.error().code != wisp::Errno::AGAIN) {
                        finish(c);
                        return;
                    }
                    if (r && r.value() == 0) c.peer_eof = true;
                    if (r && r.value() > 0) c.pending.insert(c.pending.end(), buf, buf + r.value());
                }
                bool progress = false;
                while (c.pending_offset < c.pending.size()) {
                    auto w = m_stack.send(c.socket, std::span<const uint8_t>(c.pending.data() + c.pending_offset,
                                                                             c.pending.size() - c.pending_offset));
                    if (w.is_error()) {
                        if (w.error().code != wisp::Errno::AGAIN) {
                            finish(c);
                            return;
                        }
                        break;
                    }
                    c.pending_offset += w.value();
                    progress = true;
                }
                if (c.pending_offset == c.pending.size()) {
                    c.pending.clear();
                    c.pending_offset = 0;
                } else if (c.pending_offset > (1u << 20)) {
                    c.pending.erase(c.pending.begin(), c.pending.begin() + long(c.pending_offset));
                    c.pending_offset = 0;
                }
                if (c.peer_eof && c.pending.empty()) {
                    finish(c);
                    return;
                }
                auto* t = static_cast<TcpSocket*>(c.socket);
                if (!progress && (t->readable_bytes() == 0 || c.pending.size() >= (1u << 20))) return;
            }
        case Service::Http:
            service_http(c, buf, sizeof(buf));
            return;
        }
    }

    void service_http(Connection& c, uint8_t* buf, size_t size) {
        while (!c.responding) {
            auto r = m_stack.receive(c.socket, std::span<uint8_t>(buf, size));
            if (r.is_error()) {
                if (r.error().code != wisp::Errno::AGAIN) finish(c);
                return;
            }
            if (r.value() == 0) {
                finish(c);
                return;
            }
            c.request.append(reinterpret_cast<char*>(buf), r.value());
            auto end = c.request.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (c.request.size() > 8192) finish(c);
                continue;
            }
            // "GET /N HTTP/1.x"
            std::string status = "200 OK";
            if (c.request.compare(0, 5, "GET /") == 0) {
                c.body_length = strtoull(c.request.c_str() + 5, nullptr, 10);
            } else {
                status = "400 Bad Request";
            }
            c.head = "HTTP/1.1 " + status + "\r\nServer: wisp-netstack-tap\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                     std::to_string(c.body_length) + "\r\nConnection: close\r\n\r\n";
            c.responding = true;
        }
        while (c.head_sent < c.head.size()) {
            auto w = m_stack.send(c.socket, std::span<const uint8_t>(
                                                reinterpret_cast<const uint8_t*>(c.head.data()) + c.head_sent,
                                                c.head.size() - c.head_sent));
            if (w.is_error()) {
                if (w.error().code != wisp::Errno::AGAIN) finish(c);
                return;
            }
            c.head_sent += w.value();
        }
        while (c.body_sent < c.body_length) {
            size_t n = size_t(std::min<uint64_t>(size, c.body_length - c.body_sent));
            wisp::nettool::fill_pattern(buf, n, c.body_sent);
            auto w = m_stack.send(c.socket, std::span<const uint8_t>(buf, n));
            if (w.is_error()) {
                if (w.error().code != wisp::Errno::AGAIN) finish(c);
                return;
            }
            c.body_sent += w.value();
        }
        // Everything is queued: drain anything the client still sent, then an orderly close.
        while (true) {
            auto r = m_stack.receive(c.socket, std::span<uint8_t>(buf, size));
            if (r.is_error() || r.value() == 0) break;
        }
        finish(c);
    }

    Stack& m_stack;
    std::vector<std::pair<Socket*, Service>> m_listeners;
    std::vector<std::unique_ptr<Connection>> m_connections;
    Socket* m_udp = nullptr;
};

int run(const Options& o) {
    if (!o.netns.empty()) enter_netns(o.netns);
    int fd = open_tap(o.tap);

    SystemRandom system_random;
    uint8_t mac_bytes[6];
    system_random.fill(mac_bytes, sizeof(mac_bytes));
    MacAddress mac{{0x02, mac_bytes[1], mac_bytes[2], mac_bytes[3], mac_bytes[4], mac_bytes[5]}};
    TapNic nic(fd, mac, o.loss, o.seed);
    SeededRandom rx_loss(o.seed ^ 0x5eed);
    MonotonicClock clock;
    HeapMemory memory;
    StackConfig config;
    config.packet_budget_bytes = 128u << 20;
    config.tcp.send_buffer = 1u << 20;
    config.tcp.receive_buffer = 1u << 20;
    auto created = Stack::create(config, StackEnvironment{nic, clock, system_random, memory});
    if (created.is_error()) throw UserError("cannot create the stack (out of memory)");
    Stack* stack = created.value();
    stack->configure(InterfaceConfig{o.ip, o.prefix, Ipv4Address{}});

    Servers servers(*stack);
    servers.listen(7, Service::Echo);
    servers.listen(9, Service::Discard);
    servers.listen(80, Service::Http);
    servers.listen_udp_echo(7);

    char ip[16];
    fprintf(stderr, "wisp-netstack-tap: serving %s/%u on %s%s%s (echo 7, discard 9, http 80)%s\n",
            format_ipv4(o.ip, ip), o.prefix, o.tap.c_str(), o.netns.empty() ? "" : " in netns ",
            o.netns.c_str(), o.loss > 0 ? " with injected loss" : "");
    fflush(stderr);

    uint64_t rx_frames = 0, rx_dropped = 0;
    std::vector<uint8_t> frame(65536);
    while (!g_stop) {
        uint64_t now = clock.now_us();
        uint64_t deadline = stack->next_deadline_us();
        int timeout = 100;
        if (deadline != UINT64_MAX) {
            uint64_t wait_ms = deadline > now ? (deadline - now + 999) / 1000 : 0;
            if (wait_ms < uint64_t(timeout)) timeout = int(wait_ms);
        }
        pollfd p{fd, POLLIN, 0};
        int n = poll(&p, 1, timeout);
        if (n < 0 && errno != EINTR) throw UserError(std::string("poll: ") + strerror(errno));
        // Read a batch of frames.
        for (int i = 0; i < 256; i++) {
            ssize_t r = read(fd, frame.data(), frame.size());
            if (r <= 0) break;
            if (o.loss > 0 && rx_loss.next_double() < o.loss) {
                rx_dropped++;
                continue;
            }
            Packet pkt = stack->allocate_rx_buffer();
            if (!pkt) {
                rx_dropped++;
                continue;
            }
            pkt.reset_to_headroom(64);
            size_t len = std::min<size_t>(size_t(r), pkt.tailroom());
            memcpy(pkt.put(len), frame.data(), len);
            rx_frames++;
            stack->receive_frame(std::move(pkt));
        }
        stack->poll();
        servers.service();
    }
    const TcpStats& ts = stack->tcp().stats();
    fprintf(stderr,
            "wisp-netstack-tap: stopping; frames rx %lu (dropped %lu) tx %lu (dropped %lu); tcp "
            "segments rx %lu tx %lu retransmitted %lu, timeouts %lu, fast retransmits %lu\n",
            (unsigned long)rx_frames, (unsigned long)rx_dropped, (unsigned long)nic.tx_frames,
            (unsigned long)nic.tx_dropped, (unsigned long)ts.segments_received,
            (unsigned long)ts.segments_sent, (unsigned long)ts.retransmitted_segments,
            (unsigned long)ts.timeouts, (unsigned long)ts.fast_retransmits);
    Stack::destroy(stack);
    close(fd);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    try {
        return run(parse_options(argc, argv));
    } catch (const UserError& e) {
        fprintf(stderr, "wisp-netstack-tap: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        fprintf(stderr, "wisp-netstack-tap: internal error: %s\n", e.what());
        return 2;
    }
}
