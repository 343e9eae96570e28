// SPDX-License-Identifier: MIT
#include "linux/boot_args.h"

#include <string.h>

namespace wisp::linux {
namespace {
const char* g_error = "";
BootArgs g_args;

// FIXME: temporary whitespace tokenizer until lib/cmdline lands.
size_t split(char* text, std::string_view* out, size_t max) {
    size_t n = 0;
    char* p = text;
    while (*p != '\0' && n < max) {
        while (*p == ' ') p++;
        if (*p == '\0') break;
        char* start = p;
        while (*p != '\0' && *p != ' ') p++;
        out[n++] = std::string_view(start, p - start);
    }
    return n;
}
char g_storage[8192];
std::string_view g_tokens[2048];
} // namespace

const char* describe_boot_args_error() { return g_error; }

Result<BootArgs*> parse_boot_args(const fs::erofs::Image&, const char* boot_cmdline) {
    size_t len = strlen(boot_cmdline);
    if (len >= sizeof(g_storage)) {
        g_error = "too long";
        return Errno::TOOBIG;
    }
    memcpy(g_storage, boot_cmdline, len + 1);
    size_t n = split(g_storage, g_tokens, 2048);
    bool in_argv = false;
    for (size_t i = 0; i < n; i++) {
        std::string_view t = g_tokens[i];
        if (!in_argv && t == "--") {
            in_argv = true;
            continue;
        }
        if (in_argv) {
            if (g_args.m_argc < BootArgs::kMaxArgs) g_args.m_argv[g_args.m_argc++] = t;
        } else if (t.substr(0, 4) == "env=") {
            if (g_args.m_envc < BootArgs::kMaxEnv) g_args.m_envp[g_args.m_envc++] = t.substr(4);
        } else if (t == "strace") {
            g_args.strace = true;
        } else if (t == "timings") {
            g_args.timings = true;
        } else if (t == "test.panic") {
            g_args.test_panic = true;
        }
    }
    if (g_args.m_argc == 0) {
        g_error = "no program";
        return Errno::INVAL;
    }
    return &g_args;
}

} // namespace wisp::linux
