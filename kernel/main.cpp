// SPDX-License-Identifier: MIT
// Boot: from the PVH entry to the application's first instruction.
#include <string.h>

#include <string_view>

#include <wisp/abi/platform.h>
#include <wisp/abi/pvh.h>

#include "fs/erofs.h"
#include "lib/log.h"
#include "lib/random.h"
#include "lib/timeline.h"
#include "linux/boot_args.h"
#include "linux/console.h"
#include "linux/exec.h"
#include "linux/files.h"
#include "linux/process.h"
#include "mm/frames.h"
#include "platform/platform.h"
#include "sched/thread.h"

extern "C" char __kernel_end[];
extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace wisp {
namespace {

using abi::HvmMemmapEntry;
using abi::HvmModlistEntry;
using abi::HvmStartInfo;

template<typename T>
const T* phys(uint64_t paddr) {
    return static_cast<const T*>(platform::phys_to_virt(paddr));
}

[[noreturn]] void fail(const char* fmt, const char* detail) {
    log(fmt, detail);
    log("\n");
    linux::exit_process(126);
}

void init_memory(const HvmStartInfo& info) {
    mm::PhysRange ram[mm::FrameAllocator::kMaxRanges];
    size_t ram_count = 0;
    if (info.version < 1 || info.memmap_paddr == 0 || info.memmap_entries == 0)
        panic("the boot loader passed no memory map (PVH start info version %u)", info.version);
    const auto* memmap = phys<HvmMemmapEntry>(info.memmap_paddr);
    for (uint32_t i = 0; i < info.memmap_entries && ram_count < mm::FrameAllocator::kMaxRanges; i++) {
        if (memmap[i].type != abi::kE820Ram) continue;
        uint64_t end = memmap[i].addr + memmap[i].size;
        if (end > abi::kBootDirectMapSize) end = abi::kBootDirectMapSize; // FIXME: map more
        if (memmap[i].addr < end) ram[ram_count++] = {memmap[i].addr, end};
    }

    // Everything the boot loader handed over stays untouched, as does the first MiB.
    mm::PhysRange reserved[8 + 4];
    size_t reserved_count = 0;
    reserved[reserved_count++] = {0, 0x10'0000};
    reserved[reserved_count++] = {abi::kKernelPhysBase, platform::virt_to_phys(__kernel_end)};
    if (info.cmdline_paddr != 0)
        reserved[reserved_count++] = {info.cmdline_paddr,
                                      info.cmdline_paddr + strlen(phys<char>(info.cmdline_paddr)) + 1};
    reserved[reserved_count++] = {info.memmap_paddr,
                                  info.memmap_paddr + info.memmap_entries * sizeof(HvmMemmapEntry)};
    if (info.nr_modules > 0) {
        reserved[reserved_count++] = {info.modlist_paddr,
                                      info.modlist_paddr + info.nr_modules * sizeof(HvmModlistEntry)};
        const auto* module = phys<HvmModlistEntry>(info.modlist_paddr);
        reserved[reserved_count++] = {module->paddr, module->paddr + module->size};
    }
    mm::frames().init(static_cast<uint8_t*>(platform::phys_to_virt(0)), {ram, ram_count},
                      {reserved, reserved_count});
    platform::set_page_table_frames({[] { return mm::frames().allocate_zeroed(); }});
}

void run_global_constructors() {
    for (auto* ctor = __init_array_start; ctor != __init_array_end; ctor++) (*ctor)();
}

void seed_random() {
    uint64_t material[5];
    bool hardware = true;
    for (int i = 0; i < 4; i++) hardware &= platform::hardware_random(material[i]);
    material[4] = platform::cycles();
    if (!hardware) log("wisp: warning: no RDRAND; randomness is weak\n"); // FIXME: virtio-rng
    random().seed(reinterpret_cast<const uint8_t*>(material), sizeof(material));
}

} // namespace

mm::FrameAllocator& mm::frames() {
    static FrameAllocator allocator;
    return allocator;
}

} // namespace wisp

extern "C" [[noreturn]] void kernel_main(uint32_t start_info_paddr) {
    using namespace wisp;
    platform::init_cpu();
    timeline::mark(timeline::Milestone::Entry, platform::boot_entry_cycles());
    run_global_constructors();
    timeline::mark(timeline::Milestone::Main);

    const auto& info = *phys<abi::HvmStartInfo>(start_info_paddr);
    if (info.magic != abi::kHvmStartMagic) panic("bad PVH start info magic 0x%x", info.magic);
    init_memory(info);
    timeline::mark(timeline::Milestone::Memory);
    seed_random();

    if (info.nr_modules == 0) fail("wisp: %s", "no image: boot with the application image as the first module (initrd)");
    const auto& module = *phys<abi::HvmModlistEntry>(info.modlist_paddr);
    const char* reason = nullptr;
    auto image = fs::erofs::Image::open(
        {static_cast<const uint8_t*>(platform::phys_to_virt(module.paddr)), module.size}, &reason);
    if (image.is_error()) fail("wisp: the image is not a valid EROFS file system: %s", reason ? reason : "?");

    timeline::mark(timeline::Milestone::Image);
    auto parsed = linux::parse_boot_args(image.value(), info.cmdline_paddr ? phys<char>(info.cmdline_paddr) : "");
    if (parsed.is_error()) fail("wisp: bad command line: %s", linux::describe_boot_args_error());
    linux::BootArgs* args = parsed.value();
    if (args->tsc_khz != 0) platform::set_tsc_khz_hint(args->tsc_khz);
    linux::process().strace = args->strace;
    if (args->timings) timeline::enable();
    if (args->test_panic) panic("requested by the test.panic option");
    linux::init_console(args->serial_console ? std::span<const std::string_view>{}
                                             : args->virtio_devices(),
                        args->console_tty);
    if (linux::init_files(image.value()).is_error()) fail("wisp: %s", "out of memory for the file systems");
    timeline::mark(timeline::Milestone::Exec);

    sched::init_first_thread();
    sched::start_secondary_cpus(info.rsdp_paddr);
    platform::set_user_cpu_count(platform::cpu_count()); // the vDSO's getcpu needs it
    linux::ImageLocation location{&image.value(), module.paddr, module.size};
    auto failure = linux::exec_program(location, args->argv()[0], args->argv()[0], args->argv(),
                                       args->envp());
    log("wisp: %.*s: %s\n", static_cast<int>(args->argv()[0].size()), args->argv()[0].data(),
        failure.reason);
    linux::exit_process(failure.error.code == Errno::NOENT ? 127 : 126);
}
