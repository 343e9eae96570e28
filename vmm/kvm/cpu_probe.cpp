// SPDX-License-Identifier: MIT
#include "kvm/cpu_probe.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "kvm/vcpu.h"
#include "kvm/vm.h"
#include "vmm.h"

// The probe programs (cpu_probe_code.S).
#define WISP_PROBE_CODE(name)                                                                      \
    extern "C" const uint8_t wisp_probe_##name[], wisp_probe_##name##_end[];
WISP_PROBE_CODE(baseline)
WISP_PROBE_CODE(xsave)
WISP_PROBE_CODE(xsaveopt)
WISP_PROBE_CODE(xsavec)
WISP_PROBE_CODE(avx)
WISP_PROBE_CODE(avx2)
WISP_PROBE_CODE(avx512)
WISP_PROBE_CODE(smap)
WISP_PROBE_CODE(sysret)
WISP_PROBE_CODE(popcnt)
WISP_PROBE_CODE(cx16)
WISP_PROBE_CODE(rdtscp)
WISP_PROBE_CODE(rdpid)
WISP_PROBE_CODE(sse42)
WISP_PROBE_CODE(bmi1)
WISP_PROBE_CODE(bmi2)
WISP_PROBE_CODE(lzcnt)
WISP_PROBE_CODE(movbe)
WISP_PROBE_CODE(fsgsbase)
WISP_PROBE_CODE(rdrand)
WISP_PROBE_CODE(rdseed)
#undef WISP_PROBE_CODE

namespace wisp::vmm {
namespace {

// Bumped whenever the probe set or the cache format changes: old caches are then ignored.
constexpr int kProbeFormat = 2;

enum Reg { Eax, Ebx, Ecx, Edx };

struct CpuidBit {
    uint32_t leaf;
    uint32_t subleaf;
    Reg reg;
    unsigned bit;
};

uint32_t& reg_of(kvm_cpuid_entry2& e, Reg reg) {
    switch (reg) {
    case Eax:
        return e.eax;
    case Ebx:
        return e.ebx;
    case Ecx:
        return e.ecx;
    default:
        return e.edx;
    }
}

kvm_cpuid_entry2* find_leaf(std::vector<kvm_cpuid_entry2>& entries, uint32_t leaf,
                            uint32_t subleaf) {
    for (auto& e : entries)
        if (e.function == leaf && e.index == subleaf) return &e;
    return nullptr;
}

bool has_bit(std::vector<kvm_cpuid_entry2>& entries, CpuidBit b) {
    kvm_cpuid_entry2* e = find_leaf(entries, b.leaf, b.subleaf);
    return e && (reg_of(*e, b.reg) >> b.bit & 1);
}

void clear_bits(std::vector<kvm_cpuid_entry2>& entries, uint32_t leaf, uint32_t subleaf, Reg reg,
                std::initializer_list<unsigned> bits) {
    kvm_cpuid_entry2* e = find_leaf(entries, leaf, subleaf);
    if (!e) return;
    for (unsigned bit : bits)
        reg_of(*e, reg) &= ~(1u << bit);
}

void zero_leaf(std::vector<kvm_cpuid_entry2>& entries, uint32_t leaf, uint32_t subleaf) {
    if (kvm_cpuid_entry2* e = find_leaf(entries, leaf, subleaf))
        e->eax = e->ebx = e->ecx = e->edx = 0;
}

// CRC-32C (Castagnoli, reflected 0x82f63b78), the polynomial SSE4.2 crc32 computes; no final
// inversion, like the instruction.
constexpr uint32_t crc32c_step(uint32_t crc, uint32_t data) {
    for (int i = 0; i < 32; i++) {
        bool bit = (crc ^ (data >> i)) & 1;
        crc = (crc >> 1) ^ (bit ? 0x82f63b78u : 0);
    }
    return crc;
}

// ---- one probe VM ----
//
// Guest-physical layout (64 KiB of RAM):
//   0x1000 PML4 -> 0x2000 PDPT -> 0x3000 PD: one 2 MiB page at 0, user-accessible
//   0x4000 GDT (the boot.S selectors: 0x08 kernel code, 0x10 data, 0x18/0x20 user data/code)
//   0x5000 data for the probes (cpu_probe_code.S)
//   0x8000 probe code, 0x9000 user-mode code for the sysret probe (`syscall`)
constexpr uint64_t kProbeRamSize = 0x10000;
constexpr uint64_t kPml4 = 0x1000, kGdt = 0x4000, kMovbeData = 0x5c00, kCode = 0x8000,
                   kUserCode = 0x9000;
constexpr uint16_t kProbePort = 0x80;

constexpr uint32_t kCrc32cProbe = crc32c_step(0xffff'ffff, 0x1234'5678); // cpu_probe_code.S

constexpr uint64_t kCr4Osxsave = 1u << 18;
constexpr uint64_t kCr4Fsgsbase = 1u << 16;

struct ProbeSpec {
    const char* name;
    bool CpuProbe::*result;
    const uint8_t* code;
    const uint8_t* code_end;
    CpuidBit advertised; // what KVM must report for the probe to be worth running
    uint64_t extra_cr4 = 0;
    std::optional<uint64_t> expect_rax = std::nullopt;
};

#define CODE(name) wisp_probe_##name, wisp_probe_##name##_end
const ProbeSpec kProbes[] = {
    {"xsave", &CpuProbe::xsave, CODE(xsave), {1, 0, Ecx, 26}, kCr4Osxsave},
    {"xsaveopt", &CpuProbe::xsaveopt, CODE(xsaveopt), {0xd, 1, Eax, 0}, kCr4Osxsave},
    {"xsavec", &CpuProbe::xsavec, CODE(xsavec), {0xd, 1, Eax, 1}, kCr4Osxsave},
    {"avx", &CpuProbe::avx, CODE(avx), {1, 0, Ecx, 28}, kCr4Osxsave},
    {"avx2", &CpuProbe::avx2, CODE(avx2), {7, 0, Ebx, 5}, kCr4Osxsave},
    {"avx512", &CpuProbe::avx512, CODE(avx512), {7, 0, Ebx, 16}, kCr4Osxsave},
    {"smap", &CpuProbe::smap, CODE(smap), {7, 0, Ebx, 20}},
    {"sysret", &CpuProbe::sysret, CODE(sysret), {0x8000'0001, 0, Edx, 11}, 0, kUserCode + 2},
    {"popcnt", &CpuProbe::popcnt, CODE(popcnt), {1, 0, Ecx, 23}, 0, 8},
    {"cx16", &CpuProbe::cx16, CODE(cx16), {1, 0, Ecx, 13}, 0, 0x1234},
    {"rdtscp", &CpuProbe::rdtscp, CODE(rdtscp), {0x8000'0001, 0, Edx, 27}},
    {"rdpid", &CpuProbe::rdpid, CODE(rdpid), {7, 0, Ecx, 22}},
    {"sse42", &CpuProbe::sse42, CODE(sse42), {1, 0, Ecx, 20}, 0, kCrc32cProbe},
    {"bmi1", &CpuProbe::bmi1, CODE(bmi1), {7, 0, Ebx, 3}, 0, 0x0f},
    {"bmi2", &CpuProbe::bmi2, CODE(bmi2), {7, 0, Ebx, 8}, 0, 0x30},
    {"lzcnt", &CpuProbe::lzcnt, CODE(lzcnt), {0x8000'0001, 0, Ecx, 5}, 0, 63},
    {"movbe", &CpuProbe::movbe, CODE(movbe), {1, 0, Ecx, 22}, 0, 0x4433'2211},
    {"fsgsbase", &CpuProbe::fsgsbase, CODE(fsgsbase), {7, 0, Ebx, 0}, kCr4Fsgsbase, 0x1234},
    {"rdrand", &CpuProbe::rdrand, CODE(rdrand), {1, 0, Ecx, 30}},
    {"rdseed", &CpuProbe::rdseed, CODE(rdseed), {7, 0, Ebx, 18}},
};
const ProbeSpec kBaseline = {"baseline", nullptr, CODE(baseline), {0, 0, Eax, 0}, 0, 42};
#undef CODE

enum class Outcome { Works, Fails, SetupFailed };

kvm_segment segment64(uint16_t selector, uint8_t type, bool code) {
    kvm_segment s{};
    s.limit = 0xffff'ffff;
    s.selector = selector;
    s.type = type;
    s.present = 1;
    s.s = 1;
    s.g = 1;
    s.l = code ? 1 : 0;
    s.db = code ? 0 : 1;
    return s;
}

Outcome run_probe(const Kvm& kvm, const std::vector<kvm_cpuid_entry2>& cpuid,
                  const ProbeSpec& spec) {
    std::optional<Vm> vm;
    std::optional<Vcpu> vcpu;
    Mapping ram;
    try {
        void* base = ::mmap(nullptr, kProbeRamSize, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED) return Outcome::SetupFailed;
        ram = Mapping(base, kProbeRamSize);
        uint8_t* mem = ram.data();
        auto put64 = [&](uint64_t gpa, uint64_t value) { std::memcpy(mem + gpa, &value, 8); };
        constexpr uint64_t kPresent = 1, kWritable = 2, kUser = 4, kLarge = 0x80;
        put64(kPml4, 0x2000 | kPresent | kWritable | kUser);
        put64(0x2000, 0x3000 | kPresent | kWritable | kUser);
        put64(0x3000, 0 | kPresent | kWritable | kUser | kLarge);
        const uint64_t gdt[] = {0, 0x00af9a000000ffff, 0x00cf92000000ffff, 0x00cff2000000ffff,
                                0x00affa000000ffff};
        std::memcpy(mem + kGdt, gdt, sizeof gdt);
        put64(kMovbeData, 0x1122'3344);
        std::memcpy(mem + kCode, spec.code, static_cast<size_t>(spec.code_end - spec.code));
        const uint8_t user_code[] = {0x0f, 0x05, 0xeb, 0xfc}; // 1: syscall; jmp 1b
        std::memcpy(mem + kUserCode, user_code, sizeof user_code);

        vm.emplace(kvm);
        vm->set_memory(0, 0, mem, kProbeRamSize, false);
        vcpu.emplace(kvm, *vm, 0);
        // The full KVM CPUID, so KVM itself allows what the probe tries (CR4 bits, XCR0).
        vcpu->set_cpuid(cpuid);

        kvm_sregs sregs = vcpu->sregs();
        sregs.cs = segment64(0x08, 0xb, true);
        sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = segment64(0x10, 0x3, false);
        sregs.tr.selector = 0x28;
        sregs.tr.base = 0;
        sregs.tr.limit = 0x67;
        sregs.tr.type = 11;
        sregs.tr.present = 1;
        sregs.tr.s = 0;
        sregs.gdt.base = kGdt;
        sregs.gdt.limit = sizeof gdt - 1;
        sregs.idt.base = 0;
        sregs.idt.limit = 0;     // any exception becomes a triple fault: KVM_EXIT_SHUTDOWN
        sregs.cr0 = 0x8001'0033; // PG | WP | NE | ET | MP | PE
        sregs.cr3 = kPml4;
        sregs.cr4 = 0x620 | spec.extra_cr4; // PAE | OSFXSR | OSXMMEXCPT
        sregs.efer = 0xd01;                 // NXE | LMA | LME | SCE
        vcpu->set_sregs(sregs);
        kvm_regs regs{};
        regs.rip = kCode;
        regs.rsp = 0xf000;
        regs.rflags = 0x2;
        vcpu->set_regs(regs);
    } catch (const UserError&) {
        return Outcome::SetupFailed;
    }

    for (int attempt = 0; attempt < 16; attempt++) {
        if (::ioctl(vcpu->fd(), KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            // Out of host memory is the host's problem, not the instruction's.
            if (errno == ENOMEM || errno == EBUSY) return Outcome::SetupFailed;
            return Outcome::Fails;
        }
        kvm_run* run = vcpu->run();
        if (run->exit_reason == KVM_EXIT_INTR) continue;
        if (run->exit_reason != KVM_EXIT_IO || run->io.port != kProbePort) return Outcome::Fails;
        try {
            if (spec.expect_rax && vcpu->regs().rax != *spec.expect_rax) return Outcome::Fails;
        } catch (const UserError&) {
            return Outcome::SetupFailed;
        }
        return Outcome::Works;
    }
    return Outcome::SetupFailed;
}

std::vector<kvm_cpuid_entry2> get_supported_cpuid(const Kvm& kvm) {
    for (uint32_t capacity = 128; capacity <= 4096; capacity *= 2) {
        std::vector<uint8_t> block(sizeof(KvmCpuidHeader) + capacity * sizeof(kvm_cpuid_entry2));
        KvmCpuidHeader header{capacity, 0};
        std::memcpy(block.data(), &header, sizeof header);
        if (::ioctl(kvm.fd(), kKvmGetSupportedCpuid, block.data()) == 0) {
            std::memcpy(&header, block.data(), sizeof header);
            std::vector<kvm_cpuid_entry2> entries(std::min(header.nent, capacity));
            std::memcpy(entries.data(), block.data() + sizeof header,
                        entries.size() * sizeof(kvm_cpuid_entry2));
            return entries;
        }
        if (errno != E2BIG && errno != EINTR) throw_kvm_error("KVM_GET_SUPPORTED_CPUID", errno);
    }
    throw_kvm_error("KVM_GET_SUPPORTED_CPUID", E2BIG);
}

// ---- the cache ----

struct FeatureName {
    const char* name;
    bool CpuProbe::*member;
};
constexpr FeatureName kFeatures[] = {
    {"xsave", &CpuProbe::xsave},   {"xsaveopt", &CpuProbe::xsaveopt},
    {"xsavec", &CpuProbe::xsavec}, {"avx", &CpuProbe::avx},
    {"avx2", &CpuProbe::avx2},     {"avx512", &CpuProbe::avx512},
    {"smap", &CpuProbe::smap},     {"sysret", &CpuProbe::sysret},
    {"popcnt", &CpuProbe::popcnt}, {"cx16", &CpuProbe::cx16},
    {"rdtscp", &CpuProbe::rdtscp}, {"rdpid", &CpuProbe::rdpid},
    {"sse42", &CpuProbe::sse42},   {"bmi1", &CpuProbe::bmi1},
    {"bmi2", &CpuProbe::bmi2},     {"lzcnt", &CpuProbe::lzcnt},
    {"movbe", &CpuProbe::movbe},   {"fsgsbase", &CpuProbe::fsgsbase},
    {"rdrand", &CpuProbe::rdrand}, {"rdseed", &CpuProbe::rdseed},
};

uint64_t fnv1a(std::string_view text, uint64_t hash = 0xcbf2'9ce4'8422'2325) {
    for (unsigned char c : text)
        hash = (hash ^ c) * 0x100'0000'01b3;
    return hash;
}

// A whole small file with plain read(): iostreams' first use costs more than the read here.
std::optional<std::string> read_small_file(const char* path, size_t limit) {
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    std::string text;
    char buffer[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) return text;
        text.append(buffer, static_cast<size_t>(n));
        if (text.size() > limit) return std::nullopt;
    }
}

// The "model name" and "flags" lines of the first processor in /proc/cpuinfo. One read():
// it returns the first processor's record, and reading on makes the kernel sample the clock
// of every other CPU (hundreds of microseconds in a VM).
std::string cpu_identity() {
    UniqueFd fd(::open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC));
    std::string text(16384, '\0');
    ssize_t n = fd ? ::read(fd.get(), text.data(), text.size()) : -1;
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    std::string identity;
    for (const char* key : {"\nmodel name", "\nflags"}) {
        size_t at = text.find(key);
        if (at != std::string::npos) identity += text.substr(at, text.find('\n', at + 1) - at);
    }
    return identity;
}

bool write_file_atomically(const std::string& path, const std::string& text) {
    size_t slash = path.rfind('/');
    std::string dir = path.substr(0, slash);
    // mkdir -p of the cache directory.
    for (size_t at = 1; at <= dir.size(); at++) {
        if (at == dir.size() || dir[at] == '/') {
            std::string prefix = dir.substr(0, at);
            if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return false;
        }
    }
    std::string temp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(temp, std::ios::trunc);
        out << text;
        if (!out.flush()) {
            ::unlink(temp.c_str());
            return false;
        }
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        ::unlink(temp.c_str());
        return false;
    }
    return true;
}

CpuProbe load_or_run(const Kvm& kvm) {
    std::string path = cpu_probe_cache_path(kvm.api_version());
    if (!path.empty()) {
        std::optional<std::string> text = read_small_file(path.c_str(), 1 << 20);
        CpuProbe cached;
        if (text && cpu_probe_from_json(*text, cached)) return cached;
    }
    CpuProbe probe = run_cpu_probe(kvm);
    if (probe.complete && !path.empty()) write_file_atomically(path, cpu_probe_to_json(probe));
    return probe;
}

CpuProbe effective(const CpuProbe& probe);

} // namespace

CpuProbe run_cpu_probe(const Kvm& kvm) {
    CpuProbe probe;
    probe.supported_cpuid = get_supported_cpuid(kvm);
    // If a program that only writes a port does not work, nothing can be concluded.
    if (run_probe(kvm, probe.supported_cpuid, kBaseline) != Outcome::Works) return probe;
    probe.complete = true;
    for (const ProbeSpec& spec : kProbes) {
        if (!has_bit(probe.supported_cpuid, spec.advertised)) continue;
        Outcome outcome = run_probe(kvm, probe.supported_cpuid, spec);
        if (outcome == Outcome::SetupFailed) probe.complete = false;
        probe.*spec.result = outcome == Outcome::Works;
    }
    return effective(probe);
}

const CpuProbe& host_cpu_probe(const Kvm& kvm) {
    // The one host-wide probe result of this process, computed on first use.
    static std::mutex lock;
    static std::optional<CpuProbe> host_probe;
    std::lock_guard guard(lock);
    if (!host_probe) host_probe = load_or_run(kvm);
    return *host_probe;
}

const CpuProbe& host_cpu_probe() {
    Kvm kvm = Kvm::open();
    return host_cpu_probe(kvm);
}

std::string cpu_probe_cache_path(int kvm_api_version) {
    std::string base;
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    if (xdg && xdg[0] == '/')
        base = xdg;
    else if (home && home[0] == '/')
        base = std::string(home) + "/.cache";
    else
        return "";
    struct utsname uts;
    std::string release = ::uname(&uts) == 0 ? uts.release : "";
    uint64_t hash = fnv1a(cpu_identity());
    hash = fnv1a(release, hash);
    hash = fnv1a("kvm-api-" + std::to_string(kvm_api_version) + " probe-format-" +
                     std::to_string(kProbeFormat),
                 hash);
    char key[17];
    std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(hash));
    return base + "/wisp/cpu-probe-" + key + ".json";
}

std::string cpu_probe_to_json(const CpuProbe& probe) {
    nlohmann::json features = nlohmann::json::object();
    for (const FeatureName& f : kFeatures)
        features[f.name] = probe.*f.member;
    nlohmann::json cpuid = nlohmann::json::array();
    // One string per entry, "function index flags eax ebx ecx edx" in hex: readable, and
    // strings parse several times faster than 7 numbers each.
    for (const kvm_cpuid_entry2& e : probe.supported_cpuid) {
        char row[80];
        std::snprintf(row, sizeof row, "%08x %08x %08x %08x %08x %08x %08x", e.function, e.index,
                      e.flags, e.eax, e.ebx, e.ecx, e.edx);
        cpuid.push_back(row);
    }
    nlohmann::json doc = {{"format", kProbeFormat},
                          {"complete", probe.complete},
                          {"features", features},
                          {"supported_cpuid", cpuid}};
    return doc.dump(1) + "\n";
}

bool cpu_probe_from_json(const std::string& text, CpuProbe& probe) {
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return false;
    auto format = doc.find("format");
    auto complete = doc.find("complete");
    auto features = doc.find("features");
    auto cpuid = doc.find("supported_cpuid");
    if (format == doc.end() || !format->is_number_integer() || *format != kProbeFormat)
        return false;
    if (complete == doc.end() || !complete->is_boolean() || !complete->get<bool>()) return false;
    if (features == doc.end() || !features->is_object()) return false;
    if (cpuid == doc.end() || !cpuid->is_array() || cpuid->empty()) return false;

    CpuProbe result;
    result.complete = true;
    for (const FeatureName& f : kFeatures) {
        auto value = features->find(f.name);
        if (value == features->end() || !value->is_boolean()) return false;
        result.*f.member = value->get<bool>();
    }
    for (const nlohmann::json& row : *cpuid) {
        if (!row.is_string()) return false;
        const std::string& text = row.get_ref<const std::string&>();
        uint32_t v[7];
        const char* at = text.data();
        const char* end = text.data() + text.size();
        for (uint32_t& word : v) {
            while (at < end && *at == ' ')
                at++;
            auto [next, error] = std::from_chars(at, end, word, 16);
            if (error != std::errc() || next == at) return false;
            at = next;
        }
        if (at != end) return false;
        kvm_cpuid_entry2 e{};
        e.function = v[0];
        e.index = v[1];
        e.flags = v[2];
        e.eax = v[3];
        e.ebx = v[4];
        e.ecx = v[5];
        e.edx = v[6];
        result.supported_cpuid.push_back(e);
    }
    probe = std::move(result);
    return true;
}

namespace {

// What a probe result means for the guest: a feature whose state cannot be enabled and saved
// is unusable even if its instruction runs.
CpuProbe effective(const CpuProbe& probe) {
    CpuProbe p = probe;
    p.xsaveopt &= p.xsave;
    p.xsavec &= p.xsave;
    p.avx &= p.xsave;
    p.avx2 &= p.avx;
    p.avx512 &= p.avx;
    return p;
}

} // namespace

void filter_cpuid(std::vector<kvm_cpuid_entry2>& entries, const CpuProbe& probe) {
    const CpuProbe p = effective(probe);
    // Bit positions: Intel SDM Vol. 2A CPUID, AMD APM Vol. 3 Appendix E.
    // No nested virtualization inside wisp: VMX, SVM and the SVM feature leaf.
    clear_bits(entries, 1, 0, Ecx, {5});
    clear_bits(entries, 0x8000'0001, 0, Ecx, {2});
    zero_leaf(entries, 0x8000'000a, 0);
    if (kvm_cpuid_entry2* leaf1 = find_leaf(entries, 1, 0)) leaf1->ecx |= 1u << 31; // hypervisor

    if (!p.xsave) {
        clear_bits(entries, 1, 0, Ecx, {26, 27});     // XSAVE, OSXSAVE
        clear_bits(entries, 7, 0, Ecx, {3, 4});       // PKU, OSPKE (PKRU is XSAVE state)
        clear_bits(entries, 7, 0, Edx, {22, 24, 25}); // AMX-BF16, AMX-TILE, AMX-INT8
        for (auto& e : entries)
            if (e.function == 0xd) e.eax = e.ebx = e.ecx = e.edx = 0;
    } else {
        // Untested here, and only useful to a kernel that this one is not: XGETBV1, XSAVES.
        clear_bits(entries, 0xd, 1, Eax, {2, 3});
        if (!p.xsaveopt) clear_bits(entries, 0xd, 1, Eax, {0});
        if (!p.xsavec) clear_bits(entries, 0xd, 1, Eax, {1});
        if (!p.avx) {
            clear_bits(entries, 0xd, 0, Eax, {2}); // XCR0.AVX
            zero_leaf(entries, 0xd, 2);
        }
        if (!p.avx512) {
            clear_bits(entries, 0xd, 0, Eax, {5, 6, 7}); // opmask, ZMM_Hi256, Hi16_ZMM
            for (uint32_t sub : {5u, 6u, 7u})
                zero_leaf(entries, 0xd, sub);
        }
    }
    if (!p.avx) {
        clear_bits(entries, 1, 0, Ecx, {12, 28, 29});       // FMA, AVX, F16C
        clear_bits(entries, 7, 0, Ecx, {9, 10});            // VAES, VPCLMULQDQ
        clear_bits(entries, 7, 1, Eax, {4, 23});            // AVX-VNNI, AVX-IFMA
        clear_bits(entries, 7, 1, Edx, {4, 5, 10});         // AVX-VNNI-INT8, -NE-CONVERT, -INT16
        clear_bits(entries, 0x8000'0001, 0, Ecx, {11, 16}); // XOP, FMA4
    }
    if (!p.avx2) clear_bits(entries, 7, 0, Ebx, {5});
    if (!p.avx512) {
        clear_bits(entries, 7, 0, Ebx, {16, 17, 21, 26, 27, 28, 30, 31});
        clear_bits(entries, 7, 0, Ecx, {1, 6, 11, 12, 14});
        clear_bits(entries, 7, 0, Edx, {2, 3, 8, 23});
        clear_bits(entries, 7, 1, Eax, {5}); // AVX512-BF16
    }
    if (!p.smap) clear_bits(entries, 7, 0, Ebx, {20});
    if (!p.popcnt) clear_bits(entries, 1, 0, Ecx, {23});
    if (!p.cx16) clear_bits(entries, 1, 0, Ecx, {13});
    if (!p.rdtscp) clear_bits(entries, 0x8000'0001, 0, Edx, {27});
    if (!p.rdpid) clear_bits(entries, 7, 0, Ecx, {22});
    if (!p.sse42) clear_bits(entries, 1, 0, Ecx, {20});
    if (!p.bmi1) clear_bits(entries, 7, 0, Ebx, {3});
    if (!p.bmi2) clear_bits(entries, 7, 0, Ebx, {8});
    if (!p.lzcnt) clear_bits(entries, 0x8000'0001, 0, Ecx, {5});
    if (!p.movbe) clear_bits(entries, 1, 0, Ecx, {22});
    if (!p.fsgsbase) clear_bits(entries, 7, 0, Ebx, {0});
    if (!p.rdrand) clear_bits(entries, 1, 0, Ecx, {30});
    if (!p.rdseed) clear_bits(entries, 7, 0, Ebx, {18});
}

std::string qemu_cpu_flags(const CpuProbe& probe) {
    const CpuProbe p = effective(probe);
    // QEMU 7.2 aborts on MSR 0x10a with plain `-cpu host` here (DESIGN.md §8).
    std::string flags = "host,-arch-capabilities,-vmx,-svm,-xgetbv1,-xsaves";
    auto off = [&](bool works, std::initializer_list<const char*> names) {
        if (works) return;
        for (const char* name : names)
            (flags += ",-") += name;
    };
    off(p.xsave, {"xsave", "pku", "amx-bf16", "amx-tile", "amx-int8"});
    off(p.xsaveopt, {"xsaveopt"});
    off(p.xsavec, {"xsavec"});
    off(p.avx, {"avx", "fma", "f16c", "vaes", "vpclmulqdq", "avx-vnni", "xop", "fma4"});
    off(p.avx2, {"avx2"});
    off(p.avx512,
        {"avx512f", "avx512dq", "avx512ifma", "avx512pf", "avx512er", "avx512cd", "avx512bw",
         "avx512vl", "avx512vbmi", "avx512vbmi2", "avx512vnni", "avx512bitalg", "avx512-vpopcntdq",
         "avx512-4vnniw", "avx512-4fmaps", "avx512-vp2intersect", "avx512-fp16", "avx512-bf16"});
    off(p.smap, {"smap"});
    off(p.popcnt, {"popcnt"});
    off(p.cx16, {"cx16"});
    off(p.rdtscp, {"rdtscp"});
    off(p.rdpid, {"rdpid"});
    off(p.sse42, {"sse4.2"});
    off(p.bmi1, {"bmi1"});
    off(p.bmi2, {"bmi2"});
    off(p.lzcnt, {"abm"});
    off(p.movbe, {"movbe"});
    off(p.fsgsbase, {"fsgsbase"});
    off(p.rdrand, {"rdrand"});
    off(p.rdseed, {"rdseed"});
    return flags;
}

} // namespace wisp::vmm
