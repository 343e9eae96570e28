// SPDX-License-Identifier: MIT
#include "drivers/virtio/mmio_param.h"

namespace wisp::drivers::virtio {
namespace {

// A number in C syntax (0x hex or decimal) at the front of `text`; consumes it.
std::optional<uint64_t> take_number(std::string_view& text) {
    unsigned radix = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        radix = 16;
        text.remove_prefix(2);
    }
    uint64_t value = 0;
    size_t digits = 0;
    while (digits < text.size()) {
        char c = text[digits];
        unsigned d;
        if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
        else if (radix == 16 && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
        else if (radix == 16 && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
        else break;
        if (value > (UINT64_MAX - d) / radix) return std::nullopt;
        value = value * radix + d;
        digits++;
    }
    if (digits == 0) return std::nullopt;
    text.remove_prefix(digits);
    return value;
}

} // namespace

std::optional<MmioParam> parse_mmio_param(std::string_view text) {
    MmioParam p;
    auto size = take_number(text);
    if (!size || text.empty()) return std::nullopt;
    unsigned shift = 0;
    switch (text[0]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    default: break;
    }
    if (shift) text.remove_prefix(1);
    if (*size > (UINT64_MAX >> shift)) return std::nullopt;
    p.size = *size << shift;
    if (text.empty() || text[0] != '@') return std::nullopt;
    text.remove_prefix(1);
    auto base = take_number(text);
    if (!base || text.empty() || text[0] != ':') return std::nullopt;
    text.remove_prefix(1);
    auto irq = take_number(text);
    if (!irq || !text.empty() || *irq > 0xffff || p.size == 0) return std::nullopt;
    p.base = *base;
    p.irq = static_cast<unsigned>(*irq);
    return p;
}

} // namespace wisp::drivers::virtio
