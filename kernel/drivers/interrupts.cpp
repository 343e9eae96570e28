// SPDX-License-Identifier: MIT
#include "drivers/interrupts.h"

#include "platform/platform.h"
#include "platform/traps.h"

namespace wisp::drivers {
namespace {

struct Line {
    InterruptHandler handler = nullptr;
    void* context = nullptr;
};
constexpr unsigned kLines = 24; // one IOAPIC
Line g_lines[kLines];

} // namespace

bool attach_interrupt(unsigned gsi, bool level_triggered, InterruptHandler handler, void* context) {
    if (gsi >= kLines || g_lines[gsi].handler) return false;
    g_lines[gsi] = {handler, context};
    if (!platform::enable_device_interrupt(gsi, level_triggered)) {
        g_lines[gsi] = {};
        return false;
    }
    return true;
}

} // namespace wisp::drivers

namespace wisp {
void handle_device_interrupt(unsigned line) {
    if (line < drivers::kLines && drivers::g_lines[line].handler)
        drivers::g_lines[line].handler(drivers::g_lines[line].context);
}
} // namespace wisp
