// SPDX-License-Identifier: MIT
// Starting the application: map its ELF segments straight from the image's pages (zero copy),
// lay out a randomized address space, build the initial stack in place, enter user mode.
#include "linux/exec.h"

#include <string.h>

#include "lib/print.h"
#include "lib/timeline.h"
#include "lib/random.h"
#include "linux/elf.h"
#include "linux/initial_stack.h"
#include "linux/process.h"
#include "linux/vdso.h"
#include "mm/address_space.h"
#include "mm/frames.h"
#include "platform/platform.h"

namespace wisp::linux {
namespace {

constexpr uint64_t kPage = mm::kPageSize;
constexpr uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

// Address-space layout, as Linux x86-64 with randomize_va_space=2 (arch/x86/mm/mmap.c).
constexpr uint64_t kStackTopMax = 0x7fff'ffff'f000;
constexpr uint64_t kStackRandomPages = 1ull << 22;  // up to 16 GiB below the top
constexpr uint64_t kPieBase = 0x5555'5555'4000;     // ELF_ET_DYN_BASE
constexpr uint64_t kPieRandomPages = 1ull << 28;    // mmap_rnd_bits = 28
constexpr uint64_t kBrkRandomBytes = 32ull << 20;   // arch_randomize_brk: 32 MiB
constexpr uint64_t kMmapGapMin = 128ull << 20;

uint64_t random_pages(uint64_t range_pages) { return (random().next_u64() % range_pages) * kPage; }

// Bytes the initial stack needs (an upper bound): strings, pointers, auxv, padding.
uint64_t stack_bytes_needed(std::string_view execfn, std::span<const std::string_view> argv,
                            std::span<const std::string_view> envp) {
    uint64_t bytes = 256 + 64 * 16 + 8 * (argv.size() + envp.size() + 4);
    for (auto s : argv) bytes += s.size() + 1;
    for (auto s : envp) bytes += s.size() + 1;
    bytes += execfn.size() + 1; // AT_EXECFN
    return bytes;
}

Result<ImageFile> find_in_image(const ImageLocation& loc, std::string_view path,
                                const char** reason) {
    auto inode = loc.image->resolve(path, true);
    if (inode.is_error()) {
        *reason = "not found in the image";
        return inode.error();
    }
    if (!inode->is_regular()) {
        *reason = "not a regular file";
        return Errno::ACCES;
    }
    auto offset = loc.image->contiguous_offset(inode.value(), 0, inode->size);
    if (offset.is_error()) {
        // FIXME: a program stored in pieces (chunk-based layout) needs a copying loader.
        *reason = "not stored contiguously in the image";
        return offset.error();
    }
    uint64_t paddr = loc.paddr + offset.value();
    return ImageFile{{static_cast<const uint8_t*>(platform::phys_to_virt(paddr)), inode->size},
                     paddr};
}

// Maps the PT_LOAD segments of `elf` (the image file `file`) at `bias`: text and read-only data
// straight from the image's pages, writable data copy on write, .bss anonymous. Returns the end
// of the highest mapping.
Result<uint64_t> map_segments(const elf::ElfFile& elf, const ImageFile& file, uint64_t bias,
                              const char* name, elf::ElfProblem* problem) {
    auto& as = mm::address_space();
    elf::Mapping mappings[2 * elf::kMaxProgramHeaders];
    size_t count = TRY(elf::plan_load(elf, bias, mappings, problem));
    uint64_t highest = 0;
    for (size_t i = 0; i < count; i++) {
        const elf::Mapping& m = mappings[i];
        if (m.is_anonymous()) {
            TRY(as.map_anonymous(m.vaddr, m.length, m.prot, name));
        } else {
            uint64_t file_bytes = m.file_bytes;
            // A read-only page cut by the end of the file maps whole: EROFS pads with zeros.
            if (!(m.prot & elf::kProtWrite) && m.file_offset + file_bytes >= file.bytes.size())
                file_bytes = page_up(file_bytes) < m.length ? page_up(file_bytes) : m.length;
            TRY(as.map_image(m.vaddr, m.length, m.prot, file.paddr + m.file_offset, file_bytes,
                             name));
            // Text and read-only data: present now, straight from the image.
            if (!(m.prot & elf::kProtWrite)) TRY(as.map_image_pages_now(m.vaddr));
        }
        if (m.end() > highest) highest = m.end();
    }
    return highest;
}

// Room for the dynamic linker in the mmap area (top-down, as Linux's load_elf_interp maps it):
// a base for its lowest segment honouring its p_align.
Result<uint64_t> interpreter_base(const elf::ElfFile& elf) {
    uint64_t align = elf.max_load_alignment();
    uint64_t size = elf.load_span().size();
    uint64_t start = TRY(mm::address_space().find_free(size + align - kPage));
    return (start + align - 1) & ~(align - 1);
}

// "interpreter /lib64/ld-linux-x86-64.so.2: <why>" for the one-line failure report.
const char* interpreter_reason(std::string_view path, const char* why) {
    static char text[320];
    format(text, sizeof text, "interpreter %.*s: %s", static_cast<int>(path.size() > 200 ? 200 : path.size()),
           path.data(), why);
    return text;
}

} // namespace

namespace {
ImageLocation g_boot_image;
} // namespace

const ImageLocation& boot_image() { return g_boot_image; }

Result<Program> prepare_program(const ImageLocation& loc, std::string_view path,
                                const char** reason) {
    Program program;
    program.file = TRY(find_in_image(loc, path, reason));
    elf::ElfProblem problem = elf::ElfProblem::None;
    auto elf = elf::ElfFile::parse(program.file.bytes, &problem);
    if (elf.is_error()) {
        *reason = elf::describe(problem);
        return elf.error();
    }
    program.elf = elf.release_value();
    if (!program.elf->has_interpreter()) return program;
    std::string_view interp_path = program.elf->interpreter();
    auto interp = find_in_image(loc, interp_path, reason);
    if (interp.is_error()) {
        *reason = interpreter_reason(interp_path, *reason);
        return interp.error();
    }
    auto interp_elf = elf::ElfFile::parse(interp->bytes, &problem);
    if (interp_elf.is_error() || interp_elf->has_interpreter()) {
        *reason = interpreter_reason(interp_path, interp_elf.is_error() ? elf::describe(problem)
                                                                        : "has an interpreter itself");
        return Errno::NOEXEC;
    }
    program.interpreter_file = interp.value();
    program.interpreter_elf = interp_elf.release_value();
    return program;
}

ExecFailure exec_program(const ImageLocation& loc, std::string_view path, std::string_view execfn,
                         std::span<const std::string_view> argv, std::span<const std::string_view> envp) {
    g_boot_image = loc;
    // Image pages are mapped read-only and never freed; the address space must know them.
    mm::address_space().set_image_range(loc.paddr, loc.size);
    const char* reason = nullptr;
    auto program = prepare_program(loc, path, &reason);
    if (program.is_error()) return {program.error(), reason};
    return load_program(program.value(), path, execfn, argv, envp);
}

ExecFailure load_program(const Program& program, std::string_view path, std::string_view execfn,
                         std::span<const std::string_view> argv,
                         std::span<const std::string_view> envp) {
    auto& as = mm::address_space();
    const elf::ElfFile* file = &*program.elf;
    elf::ElfProblem problem = elf::ElfProblem::None;

    // Stack at the top, mmap area below it (the interpreter goes there), heap after the program.
    uint64_t stack_top = kStackTopMax - random_pages(kStackRandomPages);
    uint64_t stack_size = process().stack_limit;
    if (stack_size < 128 * 1024 || stack_size > (1ull << 32)) stack_size = 8ull << 20;
    uint64_t gap = stack_size < kMmapGapMin ? kMmapGapMin : stack_size;
    as.set_mmap_base(stack_top - gap - random_pages(kPieRandomPages));

    uint64_t base = file->is_dynamic_object() ? kPieBase + random_pages(kPieRandomPages) : 0;
    auto bias = elf::load_bias_for(*file, base);
    if (bias.is_error()) return {bias.error(), "cannot place the program"};
    auto highest = map_segments(*file, program.file, bias.value(), path.data(), &problem);
    if (highest.is_error())
        return {highest.error(), problem != elf::ElfProblem::None ? elf::describe(problem)
                                                                  : "out of memory mapping the program"};

    elf::AuxvInputs aux;
    if (auto phdr = file->program_headers_vaddr()) aux.phdr = *phdr + bias.value();
    aux.phnum = file->program_header_count();
    aux.entry = file->entry() + bias.value();
    uint64_t start_at = aux.entry;

    if (file->has_interpreter()) {
        // PT_INTERP: the dynamic linker, from the image, at a randomized base in the mmap area;
        // the program starts in it with AT_BASE = its bias and AT_ENTRY = the program's entry.
        std::string_view interp_path = file->interpreter();
        const elf::ElfFile* interp_elf = &*program.interpreter_elf;
        uint64_t interp_bias = 0;
        if (interp_elf->is_dynamic_object()) {
            auto at = interpreter_base(*interp_elf);
            if (at.is_error()) return {Errno::NOMEM, "no room for the interpreter"};
            auto b = elf::load_bias_for(*interp_elf, at.value());
            if (b.is_error()) return {b.error(), interpreter_reason(interp_path, "cannot place it")};
            interp_bias = b.value();
        }
        auto mapped = map_segments(*interp_elf, program.interpreter_file, interp_bias,
                                   interp_path.data(), &problem);
        if (mapped.is_error())
            return {mapped.error(),
                    interpreter_reason(interp_path, problem != elf::ElfProblem::None
                                                        ? elf::describe(problem)
                                                        : "out of memory mapping it")};
        aux.base = interp_bias;
        start_at = interp_elf->entry() + interp_bias;
    }

    // The vDSO below the interpreter, as Linux's arch_setup_additional_pages places it.
    auto vdso = map_vdso();
    if (vdso.is_error()) return {Errno::NOMEM, "no room for the vDSO"};
    aux.sysinfo_ehdr = vdso.value();

    as.set_brk_start(page_up(highest.value()) + random_pages(kBrkRandomBytes / kPage));
    if (as.map_anonymous(stack_top - stack_size, stack_size, platform::ProtRead | platform::ProtWrite,
                         "[stack]", true)
            .is_error())
        return {Errno::NOMEM, "out of memory for the stack"};

    // The initial stack is built in place in fresh (zero) contiguous frames mapped at the top.
    uint64_t stack_pages = page_up(stack_bytes_needed(execfn, argv, envp)) / kPage;
    if (stack_pages * kPage > stack_size / 4) return {Errno::TOOBIG, "arguments too long"};
    uint64_t frames = mm::frames().allocate_contiguous(stack_pages);
    if (frames == 0) return {Errno::NOMEM, "out of memory for the stack"};
    for (uint64_t i = 0; i < stack_pages; i++) {
        uint64_t vaddr = stack_top - (stack_pages - i) * kPage;
        if (platform::map_user_page(vaddr, frames + i * kPage,
                                    platform::ProtRead | platform::ProtWrite)
                .is_error())
            return {Errno::NOMEM, "out of memory for the stack"};
    }

    aux.hwcap = platform::hwcap();
    random().fill(aux.random.data(), aux.random.size());
    aux.execfn = execfn;
    auto stack = elf::build_initial_stack(
        std::span<uint8_t>(static_cast<uint8_t*>(platform::phys_to_virt(frames)), stack_pages * kPage),
        stack_top, argv, envp, aux);
    if (stack.is_error()) return {stack.error(), "arguments too long"};

    size_t path_length = path.size() < sizeof(process().exe_path) - 1
                             ? path.size()
                             : sizeof(process().exe_path) - 1;
    memcpy(process().exe_path, path.data(), path_length);
    process().exe_path[path_length] = '\0';
    // For /proc/self/cmdline, environ and comm (the file name, at most 15 bytes, as Linux).
    process().arg_start = stack->arg_start;
    process().arg_end = stack->arg_end;
    process().env_start = stack->env_start;
    process().env_end = stack->env_end;
    std::string_view file_name = execfn;
    if (size_t slash = file_name.rfind('/'); slash != file_name.npos) file_name.remove_prefix(slash + 1);
    memset(process().comm, 0, sizeof(process().comm));
    memcpy(process().comm, file_name.data(), file_name.size() < 15 ? file_name.size() : 15);
    timeline::mark(timeline::Milestone::App);
    platform::enter_user(start_at, stack->rsp);
}

} // namespace wisp::linux
