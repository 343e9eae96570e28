// SPDX-License-Identifier: MIT
#include "lib/timeline.h"

#include "lib/print.h"
#include "platform/platform.h"

namespace wisp::timeline {
namespace {
constexpr int kCount = static_cast<int>(Milestone::Count);
constexpr const char* kNames[kCount] = {"entry", "main", "memory", "image", "exec", "app", "exit"};
uint64_t g_cycles[kCount];
bool g_enabled;
} // namespace

void mark(Milestone m, uint64_t cycles) { g_cycles[static_cast<int>(m)] = cycles; }
void mark(Milestone m) { mark(m, platform::cycles()); }
void enable() { g_enabled = true; }

void emit() {
    if (!g_enabled) return;
    char buffer[kCount * 40];
    size_t length = 0;
    for (int i = 0; i < kCount; i++) {
        if (g_cycles[i] == 0) continue;
        length += format(buffer + length, sizeof(buffer) - length, "t.%s=%lu\n", kNames[i],
                         g_cycles[i]);
    }
    platform::write(platform::Channel::Control, buffer, length);
}

} // namespace wisp::timeline
