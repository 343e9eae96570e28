// SPDX-License-Identifier: MIT
#pragma once

// Kernel symbols from the kernel ELF's .symtab, for crash reports and panic backtraces.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::vmm {

class KernelSymbols {
  public:
    // Reads .symtab/.strtab of the kernel ELF. Returns an empty table (describe() always "")
    // when the file is missing, not an ELF64 or has no symbol table; never throws.
    static KernelSymbols load(const std::string& kernel_elf_path);

    bool empty() const { return m_symbols.empty(); }

    // "function+0x1a" (demangled C++ name) for an address inside a known function or object,
    // "" when no symbol covers it.
    std::string describe(uint64_t addr) const;

    // For a kernel backtrace line `  #N 0x<hex>` (what the kernel prints on COM2 after a
    // panic), the line with " function+0xoff" appended (before a trailing newline); any other
    // line, or an unknown address, unchanged. Backtrace addresses are return addresses, so the
    // symbol is looked up for addr - 1: a call that ends its function still names the caller.
    std::string symbolize_line(std::string_view line) const;

  private:
    struct Symbol {
        uint64_t addr;
        uint64_t end;     // one past the last byte the symbol covers
        std::string name; // as in the ELF (mangled)
    };
    const Symbol* find(uint64_t addr) const;
    static std::string format(const Symbol& symbol, uint64_t addr);

    std::vector<Symbol> m_symbols; // sorted by addr, one per address, non-overlapping starts
};

} // namespace wisp::vmm
