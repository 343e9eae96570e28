// SPDX-License-Identifier: MIT
#pragma once

// The value of a `virtio_mmio.device=` kernel option, as Linux's virtio_mmio driver takes it
// (Documentation/admin-guide/kernel-parameters.txt): SIZE@BASE:IRQ, SIZE with an optional K/M/G
// suffix, BASE in hex (0x...) or decimal, e.g. `4K@0xd0000000:5`.
#include <stdint.h>

#include <optional>
#include <string_view>

namespace wisp::drivers::virtio {

struct MmioParam {
    uint64_t size = 0;
    uint64_t base = 0;
    unsigned irq = 0;
};

std::optional<MmioParam> parse_mmio_param(std::string_view text);

} // namespace wisp::drivers::virtio
