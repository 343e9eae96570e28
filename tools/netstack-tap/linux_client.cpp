// SPDX-License-Identifier: MIT
// wisp-net-linux-client: the Linux side of the TAP tests and benchmarks, using Linux's own
// TCP (run it inside the namespace with `ip netns exec`).
//
//   wisp-net-linux-client echo    ADDR PORT BYTES   send BYTES of the pattern, read them back, verify
//   wisp-net-linux-client discard ADDR PORT BYTES   send BYTES, report throughput
//   wisp-net-linux-client http    ADDR PORT BYTES   GET /BYTES, verify the body against the pattern
//   wisp-net-linux-client udp-echo ADDR PORT COUNT  COUNT datagrams of 1000 bytes, count echoes
//
// Prints one line "<mode>: <bytes> bytes in <s> s = <MB/s> MB/s" and exits 0 when the data
// verified; exits 1 with a one-line reason otherwise.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "pattern.h"

using wisp::nettool::fill_pattern;
using wisp::nettool::pattern_byte;

namespace {

[[noreturn]] void fail(const std::string& why) {
    fprintf(stderr, "wisp-net-linux-client: %s\n", why.c_str());
    exit(1);
}

double now_s() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

int connect_to(const char* addr, int port, int type = SOCK_STREAM) {
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) fail(std::string("socket: ") + strerror(errno));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(uint16_t(port));
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) fail(std::string("bad address ") + addr);
    timeval tv{30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
        fail(std::string("connect ") + addr + ":" + std::to_string(port) + ": " + strerror(errno));
    return fd;
}

void send_pattern(int fd, uint64_t bytes) {
    std::vector<uint8_t> buf(65536);
    uint64_t sent = 0;
    while (sent < bytes) {
        size_t n = size_t(std::min<uint64_t>(buf.size(), bytes - sent));
        fill_pattern(buf.data(), n, sent);
        ssize_t w = send(fd, buf.data(), n, MSG_NOSIGNAL);
        if (w <= 0) fail(std::string("send: ") + (w < 0 ? strerror(errno) : "closed"));
        sent += uint64_t(w);
    }
}

// Reads until EOF, checking every byte against the pattern from `offset`.
uint64_t receive_pattern(int fd, uint64_t offset, uint64_t expect) {
    std::vector<uint8_t> buf(65536);
    uint64_t got = 0;
    while (true) {
        ssize_t r = recv(fd, buf.data(), buf.size(), 0);
        if (r < 0) fail(std::string("recv: ") + strerror(errno) + " after " + std::to_string(got) + " bytes");
        if (r == 0) break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[size_t(i)] != pattern_byte(offset + got + uint64_t(i)))
                fail("data mismatch at byte " + std::to_string(got + uint64_t(i)));
        got += uint64_t(r);
        if (got > expect) fail("more data than expected");
    }
    return got;
}

void report(const char* mode, uint64_t bytes, double seconds) {
    printf("%s: %llu bytes in %.3f s = %.2f MB/s\n", mode, (unsigned long long)bytes, seconds,
           seconds > 0 ? double(bytes) / seconds / 1e6 : 0.0);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: wisp-net-linux-client echo|discard|http|udp-echo ADDR PORT BYTES\n");
        return 2;
    }
    std::string mode = argv[1];
    const char* addr = argv[2];
    int port = atoi(argv[3]);
    uint64_t bytes = strtoull(argv[4], nullptr, 10);
    double start = now_s();
    if (mode == "echo") {
        int fd = connect_to(addr, port);
        std::thread writer([&] {
            send_pattern(fd, bytes);
            shutdown(fd, SHUT_WR);
        });
        uint64_t got = receive_pattern(fd, 0, bytes);
        writer.join();
        if (got != bytes) fail("echo returned " + std::to_string(got) + " of " + std::to_string(bytes) + " bytes");
        report("echo", bytes, now_s() - start);
        close(fd);
        return 0;
    }
    if (mode == "discard") {
        int fd = connect_to(addr, port);
        send_pattern(fd, bytes);
        shutdown(fd, SHUT_WR);
        char c;
        if (recv(fd, &c, 1, 0) != 0) fail("discard server sent data or did not close");
        report("discard", bytes, now_s() - start);
        close(fd);
        return 0;
    }
    if (mode == "http") {
        int fd = connect_to(addr, port);
        std::string req = "GET /" + std::to_string(bytes) + " HTTP/1.1\r\nHost: " + addr + "\r\n\r\n";
        if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size())) fail("send request");
        // Read the head byte by byte (it is short), then the body.
        std::string head;
        while (head.find("\r\n\r\n") == std::string::npos) {
            char c;
            ssize_t r = recv(fd, &c, 1, 0);
            if (r <= 0) fail("connection closed in the response head");
            head += c;
        }
        if (head.compare(0, 12, "HTTP/1.1 200") != 0) fail("bad status: " + head.substr(0, head.find('\r')));
        uint64_t got = receive_pattern(fd, 0, bytes);
        if (got != bytes) fail("body has " + std::to_string(got) + " of " + std::to_string(bytes) + " bytes");
        report("http", bytes, now_s() - start);
        close(fd);
        return 0;
    }
    if (mode == "udp-echo") {
        int fd = connect_to(addr, port, SOCK_DGRAM);
        uint64_t echoed = 0;
        std::vector<uint8_t> buf(1000), in(2000);
        for (uint64_t i = 0; i < bytes; i++) {
            fill_pattern(buf.data(), buf.size(), i);
            if (send(fd, buf.data(), buf.size(), 0) != ssize_t(buf.size())) fail("udp send");
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, 1000) == 1) {
                ssize_t r = recv(fd, in.data(), in.size(), 0);
                if (r == ssize_t(buf.size()) && memcmp(in.data(), buf.data(), buf.size()) == 0) echoed++;
            }
        }
        printf("udp-echo: %llu of %llu datagrams echoed\n", (unsigned long long)echoed, (unsigned long long)bytes);
        return echoed > 0 ? 0 : 1;
    }
    fail("unknown mode " + mode);
}
