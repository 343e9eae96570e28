// SPDX-License-Identifier: MIT
// The dependency resolver: see deps.h. What each step copies from the dynamic linkers is cited
// beside it: glibc 2.36 elf/dl-load.c (_dl_map_object, open_path, _dl_dst_substitute),
// elf/dl-deps.c (breadth-first DT_NEEDED), elf/dl-object.c ($ORIGIN); musl 1.2
// ldso/dynlink.c (load_library, fixup_rpath, path_open).
#include "deps.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <string_view>

#include "elf_dynamic.h"
#include "ldcache.h"
#include "linux/elf.h"
#include "vmm.h"

namespace wisp::cli {

using vmm::UserError;

namespace {

constexpr int kMaxSymlinkFollows = 40; // Linux MAXSYMLINKS
// A bound on the shared objects one program may pull in; real programs stay far below it.
constexpr size_t kMaxObjects = 4096;
constexpr const char* kLdSoCache = "/etc/ld.so.cache";

// glibc's default search directories for x86-64 (Debian's multiarch directories first).
constexpr const char* kGlibcDefaultDirs[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                             "/lib64", "/lib", "/usr/lib"};
// glibc-hwcaps subdirectories ld.so tries in every search directory before the directory
// itself, best first (glibc 2.33+, sysdeps/x86_64/dl-hwcaps-subdirs.c). Which one the guest's
// ld.so picks depends on the CPU it sees, so every variant present goes into the image.
constexpr const char* kHwcapsSubdirs[] = {"x86-64-v4", "x86-64-v3", "x86-64-v2"};
// $PLATFORM: the guest CPU as wisp presents it has no AVX2, so glibc reports the kernel's
// AT_PLATFORM, "x86_64" (sysdeps/x86/cpu-features.c picks "haswell" only with AVX2 and FMA).
constexpr const char* kPlatform = "x86_64";
// musl's built-in search path when there is no /etc/ld-musl-x86_64.path.
constexpr const char* kMuslDefaultPath = "/lib:/usr/local/lib:/usr/lib";

// Python: top-level entries of the standard library left out to keep the image small: the
// regression tests, IDLE, Tk, the pip bootstrapper, the turtle demos, and config-3.X-* (static
// libraries and a Makefile for embedding Python, about 25 MiB, never read at run time).
constexpr const char* kPythonStdlibExcluded[] = {"test", "idlelib", "tkinter", "turtledemo",
                                                 "ensurepip"};
// Site-packages directories go in only when they are at most this big (Debian's own python3
// leaves /usr/lib/python3/dist-packages nearly empty; a developer machine's holds hundreds of
// MiB). A larger one is left out with a note; --file adds it.
constexpr uint64_t kMaxSitePackagesBytes = 16 << 20;

// Terminal descriptions for curses/readline programs (ncurses' search order).
constexpr const char* kTerminfoDirs[] = {"/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo"};
constexpr const char* kTerminfoNames[] = {"xterm", "xterm-256color", "linux", "vt100", "dumb"};

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return "/";
    return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
}

std::vector<std::string> split(std::string_view text, std::string_view separators) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find_first_of(separators, start);
        if (end == std::string_view::npos) end = text.size();
        parts.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// --- host paths -------------------------------------------------------------------------------

// A path as the host kernel resolves it: the symlinks met on the way (each at the place it
// lives, with its contents) and the canonical path it ends at.
struct ResolvedPath {
    std::string path; // canonical: no symlinks, no "." or ".."
    struct stat st;
    std::vector<std::pair<std::string, std::string>> links; // link path -> its contents
    // Directories left by "..": the guest's walk passes through them, so they must exist in
    // the image even when nothing else puts them there ("/opt/a/sub/../lib").
    std::vector<std::pair<std::string, struct stat>> passed;
};

// Walks `path` component by component with lstat, following every symlink (final one too),
// like the kernel's path walk. nullopt when it does not resolve (ENOENT, ENOTDIR, ELOOP).
std::optional<ResolvedPath> resolve_host_path(const std::string& path) {
    ResolvedPath result;
    std::vector<std::string> pending = split(path, "/");
    std::reverse(pending.begin(), pending.end()); // a stack: next component at the back
    std::string current = "/";
    if (::stat("/", &result.st) != 0) return std::nullopt;
    int follows = 0;
    while (!pending.empty()) {
        std::string name = std::move(pending.back());
        pending.pop_back();
        if (name.empty() || name == ".") continue;
        if (!S_ISDIR(result.st.st_mode)) return std::nullopt; // ENOTDIR
        if (name == "..") {
            if (current != "/") result.passed.emplace_back(current, result.st);
            current = parent_of(current);
            if (::lstat(current.c_str(), &result.st) != 0) return std::nullopt;
            continue;
        }
        std::string candidate = join(current, name);
        struct stat st;
        if (::lstat(candidate.c_str(), &st) != 0) return std::nullopt;
        if (S_ISLNK(st.st_mode)) {
            if (++follows > kMaxSymlinkFollows) return std::nullopt; // ELOOP
            char buffer[4096];
            ssize_t n = ::readlink(candidate.c_str(), buffer, sizeof buffer);
            if (n <= 0 || size_t(n) == sizeof buffer) return std::nullopt;
            std::string target(buffer, size_t(n));
            result.links.emplace_back(candidate, target);
            std::vector<std::string> parts = split(target, "/");
            for (auto it = parts.rbegin(); it != parts.rend(); ++it)
                pending.push_back(std::move(*it));
            if (target[0] == '/') {
                current = "/";
                if (::stat("/", &result.st) != 0) return std::nullopt;
            }
            continue;
        }
        current = std::move(candidate);
        result.st = st;
    }
    result.path = current;
    return result;
}

// The entries collected for the image.
class EntrySet {
  public:
    explicit EntrySet(std::map<std::string, HostEntry>& entries) : m_entries(entries) {}

    // Adds `path` with its symlink chain and what it ends at (a file, or a directory without
    // its contents). Returns the canonical path, or nullopt (adding nothing) when the path does
    // not resolve or ends at something else (a device, a socket).
    std::optional<std::string> add_path(const std::string& path) {
        auto resolved = resolve_host_path(path);
        if (!resolved) return std::nullopt;
        const struct stat& st = resolved->st;
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return std::nullopt;
        for (const auto& [link, target] : resolved->links)
            add_symlink(link, target);
        for (const auto& [dir, dir_st] : resolved->passed)
            add_directory(dir, dir_st);
        if (S_ISREG(st.st_mode))
            add_file(resolved->path, st);
        else
            add_directory(resolved->path, st);
        return resolved->path;
    }

    // Adds the directory `dir` and everything under it, except the top-level names `skip`
    // says to leave out. Symlinks are kept as symlinks; what one points to outside the tree is
    // added with its chain (a file, or an empty directory). Calls on_file for every regular
    // file added. Returns false (adding nothing) when `dir` is not a directory.
    bool add_tree(const std::string& dir, const std::function<bool(const std::string&)>& skip,
                  const std::function<void(const std::string&)>& on_file) {
        auto canonical = add_path(dir);
        if (!canonical) return false;
        struct stat st;
        if (::lstat(canonical->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
        std::vector<std::string> outside_links;
        walk(*canonical, true, skip, on_file, outside_links);
        for (const auto& link : outside_links)
            add_path(link);
        return true;
    }

    bool contains(const std::string& path) const { return m_entries.count(path) != 0; }

  private:
    void add_symlink(const std::string& path, const std::string& target) {
        HostEntry entry;
        entry.kind = HostEntry::Kind::Symlink;
        entry.mode = 0777;
        entry.target = target;
        m_entries[path] = std::move(entry);
    }
    void add_file(const std::string& path, const struct stat& st) {
        HostEntry entry;
        entry.kind = HostEntry::Kind::File;
        entry.mode = st.st_mode & 07777;
        entry.size = uint64_t(st.st_size);
        m_entries[path] = std::move(entry);
    }
    void add_directory(const std::string& path, const struct stat& st) {
        HostEntry entry;
        entry.kind = HostEntry::Kind::Directory;
        entry.mode = st.st_mode & 07777;
        m_entries[path] = std::move(entry);
    }

    void walk(const std::string& dir, bool top, const std::function<bool(const std::string&)>& skip,
              const std::function<void(const std::string&)>& on_file,
              std::vector<std::string>& outside_links) {
        DIR* handle = ::opendir(dir.c_str());
        if (!handle) return;
        std::vector<std::string> names;
        while (const struct dirent* entry = ::readdir(handle)) {
            std::string name = entry->d_name;
            if (name != "." && name != "..") names.push_back(std::move(name));
        }
        ::closedir(handle);
        std::sort(names.begin(), names.end());
        for (const auto& name : names) {
            if (top && skip && skip(name)) continue;
            const std::string path = join(dir, name);
            struct stat st;
            if (::lstat(path.c_str(), &st) != 0) continue;
            if (S_ISDIR(st.st_mode)) {
                add_directory(path, st);
                walk(path, false, skip, on_file, outside_links);
            } else if (S_ISREG(st.st_mode)) {
                add_file(path, st);
                if (on_file) on_file(path);
            } else if (S_ISLNK(st.st_mode)) {
                char buffer[4096];
                ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
                if (n <= 0 || size_t(n) == sizeof buffer) continue;
                std::string target(buffer, size_t(n));
                add_symlink(path, target);
                outside_links.push_back(target[0] == '/' ? target : join(dir, target));
            }
            // Devices, fifos and sockets are not runtime files: left out.
        }
    }

    std::map<std::string, HostEntry>& m_entries;
};

// Total bytes of the regular files under `dir` (not following symlinks), stopping early once
// past `limit`.
uint64_t tree_bytes(const std::string& dir, uint64_t limit) {
    uint64_t total = 0;
    std::vector<std::string> pending = {dir};
    while (!pending.empty() && total <= limit) {
        std::string current = std::move(pending.back());
        pending.pop_back();
        DIR* handle = ::opendir(current.c_str());
        if (!handle) continue;
        while (const struct dirent* entry = ::readdir(handle)) {
            std::string name = entry->d_name;
            if (name == "." || name == "..") continue;
            std::string path = join(current, name);
            struct stat st;
            if (::lstat(path.c_str(), &st) != 0) continue;
            if (S_ISDIR(st.st_mode))
                pending.push_back(path);
            else if (S_ISREG(st.st_mode))
                total += uint64_t(st.st_size);
        }
        ::closedir(handle);
    }
    return total;
}

bool directory_has_entries(const std::string& dir) {
    DIR* handle = ::opendir(dir.c_str());
    if (!handle) return false;
    bool found = false;
    while (const struct dirent* entry = ::readdir(handle)) {
        std::string_view name = entry->d_name;
        if (name != "." && name != "..") {
            found = true;
            break;
        }
    }
    ::closedir(handle);
    return found;
}

bool is_regular_file(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// --- ELF files --------------------------------------------------------------------------------

// A whole file mapped read-only, for the ELF parser.
class MappedFile {
  public:
    static std::optional<MappedFile> open(const std::string& path, const char** why) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            *why = "cannot be read";
            return std::nullopt;
        }
        MappedFile file;
        struct stat st;
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            *why = "not a regular file";
            return std::nullopt;
        }
        file.m_dev = st.st_dev;
        file.m_ino = st.st_ino;
        file.m_size = size_t(st.st_size);
        if (file.m_size > 0) {
            void* bytes = ::mmap(nullptr, file.m_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (bytes == MAP_FAILED) {
                ::close(fd);
                *why = "cannot be read";
                return std::nullopt;
            }
            file.m_bytes = static_cast<const uint8_t*>(bytes);
        }
        ::close(fd);
        return file;
    }
    MappedFile(MappedFile&& other) noexcept
        : m_bytes(std::exchange(other.m_bytes, nullptr)), m_size(other.m_size), m_dev(other.m_dev),
          m_ino(other.m_ino) {}
    MappedFile(const MappedFile&) = delete;
    ~MappedFile() {
        if (m_bytes) ::munmap(const_cast<uint8_t*>(m_bytes), m_size);
    }
    std::span<const uint8_t> bytes() const { return {m_bytes, m_bytes ? m_size : 0}; }
    dev_t dev() const { return m_dev; }
    ino_t ino() const { return m_ino; }

  private:
    MappedFile() = default;
    const uint8_t* m_bytes = nullptr;
    size_t m_size = 0;
    dev_t m_dev = 0;
    ino_t m_ino = 0;
};

// What the resolver needs to know about one ELF file.
struct ElfFacts {
    enum class Verdict {
        Usable,            // an x86-64 ELF whose dynamic section reads
        OtherArchitecture, // another ELF class or machine: ld.so skips it and searches on
        Unusable,          // not ELF, or malformed: ld.so would fail on it
    };
    Verdict verdict = Verdict::Unusable;
    const char* problem = nullptr; // for Unusable
    std::string interpreter;
    DynamicSection dynamic;
    dev_t dev = 0;
    ino_t ino = 0;
};

ElfFacts inspect_elf(const std::string& path) {
    ElfFacts facts;
    auto file = MappedFile::open(path, &facts.problem);
    if (!file) return facts;
    facts.dev = file->dev();
    facts.ino = file->ino();
    std::span<const uint8_t> bytes = file->bytes();
    // e_ident (16 bytes), e_type, e_machine: enough to tell another architecture (gABI
    // "ELF Identification"), as ld.so's open_verify does before anything else.
    constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
    if (bytes.size() < 20 || std::memcmp(bytes.data(), kMagic, 4) != 0) {
        facts.problem = "not an ELF file";
        return facts;
    }
    constexpr uint8_t kClass64 = 2, kData2Lsb = 1;
    constexpr uint16_t kMachineX86_64 = 62;
    uint16_t machine;
    std::memcpy(&machine, bytes.data() + 18, sizeof machine);
    if (bytes[4] != kClass64 || bytes[5] != kData2Lsb || machine != kMachineX86_64) {
        facts.verdict = ElfFacts::Verdict::OtherArchitecture;
        return facts;
    }
    elf::ElfProblem why = elf::ElfProblem::None;
    auto parsed = elf::ElfFile::parse(bytes, &why);
    if (parsed.is_error()) {
        facts.problem = elf::describe(why);
        return facts;
    }
    facts.interpreter = std::string(parsed.value().interpreter());
    auto dynamic = read_dynamic_section(parsed.value(), &facts.problem);
    if (!dynamic) return facts;
    facts.dynamic = std::move(*dynamic);
    facts.verdict = ElfFacts::Verdict::Usable;
    return facts;
}

// --- the dynamic linker's view ----------------------------------------------------------------

// A loaded shared object (glibc's struct link_map, as far as searching goes).
struct SharedObject {
    std::string path;   // the path it was opened by (l_name)
    std::string origin; // what $ORIGIN expands to in its search paths
    DynamicSection dynamic;
    std::optional<size_t> loader;   // whose DT_NEEDED loaded it (l_loader); none for the roots
    std::vector<std::string> names; // what DT_NEEDED strings it answers to (l_libname)
    dev_t dev = 0;
    ino_t ino = 0;
    bool required = true; // a startup object: a missing dependency is an error
};

class Resolver {
  public:
    Resolver(const std::string& program, const ResolveOptions& options, Closure& out)
        : m_program(program), m_options(options), m_out(out), m_entries(out.entries) {}

    void run() {
        auto canonical = m_entries.add_path(m_program);
        if (!canonical) throw UserError("program not found: " + m_program + " (check the path)");
        m_canonical_program = *canonical;
        ElfFacts facts = inspect_elf(m_canonical_program);
        // A dynamic program whose dynamic section is unreadable: its libraries cannot be known.
        if (facts.verdict == ElfFacts::Verdict::Unusable && !facts.interpreter.empty())
            throw UserError(m_program + ": cannot be run: " + facts.problem);
        // Anything else that is not a dynamic x86-64 executable is not ours to judge: the CLI
        // checks programs before building (program_check.h); a static one needs only itself.
        if (facts.verdict != ElfFacts::Verdict::Usable || facts.interpreter.empty()) return;

        m_musl = starts_with(base_name(facts.interpreter), "ld-musl-");
        if (!m_musl) m_cache = LdCache::load(m_options.ld_cache_path);

        // The program: $ORIGIN is the directory of the file /proc/self/exe names (canonical).
        SharedObject program;
        program.path = m_program;
        program.origin = parent_of(m_canonical_program);
        program.dynamic = std::move(facts.dynamic);
        program.dev = facts.dev;
        program.ino = facts.ino;
        m_objects.push_back(std::move(program));
        load_interpreter(facts.interpreter);
        load_needed(0);
        for (size_t i = 1; i < m_objects.size(); i++) {
            if (!m_objects[i].names.empty())
                m_out.libraries.push_back({m_objects[i].names.front(), m_objects[i].path});
        }

        add_python();
        add_runtime_files();
    }

  private:
    // The interpreter is loaded by the kernel at the path PT_INTERP gives; ld.so knows itself
    // by that path and by its SONAME (so libc.so.6's DT_NEEDED ld-linux-x86-64.so.2 is it).
    void load_interpreter(const std::string& interpreter) {
        m_out.interpreter = interpreter;
        auto canonical = resolve_host_path(interpreter);
        if (!canonical || !S_ISREG(canonical->st.st_mode))
            throw UserError(m_program + ": cannot find its dynamic linker " + interpreter +
                            " (install it, or build the program with -static)");
        ElfFacts facts = inspect_elf(canonical->path);
        if (facts.verdict == ElfFacts::Verdict::OtherArchitecture)
            throw UserError(m_program + ": its dynamic linker " + interpreter +
                            " is not an x86-64 ELF");
        if (facts.verdict != ElfFacts::Verdict::Usable)
            throw UserError(m_program + ": its dynamic linker " + interpreter +
                            " cannot be used: " + facts.problem);
        m_entries.add_path(interpreter);
        SharedObject object;
        object.path = interpreter;
        object.origin = parent_of(interpreter);
        object.names = {interpreter};
        if (facts.dynamic.soname) object.names.push_back(*facts.dynamic.soname);
        object.dynamic = std::move(facts.dynamic);
        object.dev = facts.dev;
        object.ino = facts.ino;
        m_objects.push_back(std::move(object));
    }

    // Loads the DT_NEEDED closure of every object from `first` on, breadth first (glibc
    // _dl_map_object_deps), objects added on the way included. What a required object needs
    // must be found; what an optional one needs is left out when it cannot be.
    void load_needed(size_t first) {
        for (size_t i = first; i < m_objects.size(); i++) {
            // Copied: loading appends to m_objects.
            const std::vector<std::string> needed = m_objects[i].dynamic.needed;
            const bool required = m_objects[i].required;
            for (const auto& name : needed) {
                bool loaded;
                try {
                    loaded = load_one(name, i);
                } catch (const UserError&) {
                    if (required) throw;
                    loaded = false;
                }
                if (!loaded && required)
                    throw UserError(m_program + ": cannot find " + name + " (needed by " +
                                    m_objects[i].path + ")" + m_other_architecture_hint);
            }
        }
    }

    // Finds and loads `name` for `loader`; false when it cannot be found.
    bool load_one(const std::string& requested, size_t loader) {
        m_other_architecture_hint.clear();
        std::string name = requested;
        if (m_musl) {
            // musl's libc is its dynamic linker: the names of what glibc splits out resolve to
            // it (dynlink.c load_library "reserved" names).
            if (is_musl_reserved(name)) return true;
        } else if (name.find('$') != std::string::npos) {
            // glibc expands DSTs in DT_NEEDED too (dl-deps.c expand_dst).
            auto expanded = expand_glibc_dsts(name, m_objects[loader]);
            if (!expanded || expanded->empty()) return false;
            name = *expanded;
        }
        if (auto index = find_loaded(name)) {
            add_name(*index, name);
            return true;
        }
        if (name.find('/') != std::string::npos) {
            // A path, used as it is. A relative one is relative to the guest's working
            // directory, which the image does not decide: FIXME: not resolved.
            if (name[0] != '/') return false;
            auto found = try_candidate(name);
            if (!found) return false;
            load_found(*found, name, loader);
            return true;
        }
        auto found = m_musl ? search_musl(name, loader) : search_glibc(name, loader);
        if (!found) return false;
        load_found(*found, name, loader);
        return true;
    }

    static bool is_musl_reserved(const std::string& name) {
        if (!starts_with(name, "lib")) return false;
        for (const char* reserved : {"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."}) {
            if (starts_with(std::string_view(name).substr(3), reserved)) return true;
        }
        return false;
    }

    std::optional<size_t> find_loaded(const std::string& name) const {
        for (size_t i = 0; i < m_objects.size(); i++) {
            const auto& names = m_objects[i].names;
            if (std::find(names.begin(), names.end(), name) != names.end()) return i;
            if (!m_musl && m_objects[i].dynamic.soname == name && i != 0) return i;
        }
        return std::nullopt;
    }

    void add_name(size_t index, const std::string& name) {
        auto& names = m_objects[index].names;
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }

    // A file that exists and is for x86-64; the search goes on past files for another
    // architecture (remembered for the error message). A file ld.so would choke on is an
    // error naming it.
    struct Candidate {
        std::string path;
        ElfFacts facts;
    };
    struct Found : Candidate {
        // glibc-hwcaps variants of the same library beside it (see kHwcapsSubdirs).
        std::vector<Candidate> variants;
    };
    std::optional<Found> try_candidate(const std::string& path) {
        Found found;
        found.path = path;
        if (!is_regular_file(path)) return std::nullopt;
        ElfFacts facts = inspect_elf(path);
        if (facts.verdict == ElfFacts::Verdict::OtherArchitecture) {
            m_other_architecture_hint = " (" + path + " is for another architecture)";
            return std::nullopt;
        }
        if (facts.verdict == ElfFacts::Verdict::Unusable)
            throw UserError(m_program + ": cannot use " + path + ": " + facts.problem);
        found.facts = std::move(facts);
        return found;
    }

    // One search directory: its glibc-hwcaps subdirectories (glibc only), then the directory
    // itself. The first file found is the one loaded; the others come along as variants.
    std::optional<Found> try_directory(const std::string& dir, const std::string& name) {
        std::optional<Found> result;
        auto take = [&](std::optional<Found> found) {
            if (!found) return;
            if (!result)
                result = std::move(found);
            else
                result->variants.push_back(std::move(*found));
        };
        if (!m_musl) {
            for (const char* subdir : kHwcapsSubdirs)
                take(try_candidate(dir + "/glibc-hwcaps/" + subdir + "/" + name));
        }
        take(try_candidate(join(dir, name)));
        return result;
    }

    std::optional<Found> try_directories(const std::vector<std::string>& dirs,
                                         const std::string& name) {
        for (const auto& dir : dirs) {
            if (auto found = try_directory(dir, name)) return found;
        }
        return std::nullopt;
    }

    // glibc _dl_map_object for a name without '/'.
    std::optional<Found> search_glibc(const std::string& name, size_t loader) {
        const SharedObject& by = m_objects[loader];
        if (!by.dynamic.runpath) {
            // DT_RPATH of the loader, its loader, and on up; then the program's.
            bool did_program = false;
            for (std::optional<size_t> l = loader; l; l = m_objects[*l].loader) {
                if (!m_objects[*l].dynamic.rpath) continue;
                did_program |= *l == 0;
                auto dirs = glibc_search_dirs(*m_objects[*l].dynamic.rpath, m_objects[*l]);
                if (auto found = try_directories(dirs, name)) return found;
            }
            if (!did_program && m_objects[0].dynamic.rpath) {
                auto dirs = glibc_search_dirs(*m_objects[0].dynamic.rpath, m_objects[0]);
                if (auto found = try_directories(dirs, name)) return found;
            }
        }
        // LD_LIBRARY_PATH would come here: the guest's environment, not the host's.
        if (by.dynamic.runpath) {
            auto dirs = glibc_search_dirs(*by.dynamic.runpath, by);
            if (auto found = try_directories(dirs, name)) return found;
        }
        const bool nodeflib = (by.dynamic.flags_1 & kDf1Nodeflib) != 0;
        std::optional<Found> from_cache;
        for (const LdCacheEntry* entry : m_cache.find_x86_64(name)) {
            // DF_1_NODEFLIB: no cache entry from the default directories either.
            if (nodeflib && is_default_dir(parent_of(entry->path))) continue;
            auto found = try_candidate(entry->path);
            if (!found) continue;
            if (!from_cache)
                from_cache = std::move(found);
            else
                from_cache->variants.push_back(std::move(*found)); // a glibc-hwcaps entry
        }
        if (from_cache) return from_cache;
        if (nodeflib) return std::nullopt;
        std::vector<std::string> dirs(std::begin(kGlibcDefaultDirs), std::end(kGlibcDefaultDirs));
        return try_directories(dirs, name);
    }

    static bool is_default_dir(const std::string& dir) {
        for (const char* d : kGlibcDefaultDirs) {
            if (dir == d) return true;
        }
        return false;
    }

    // musl load_library for a name without '/'.
    std::optional<Found> search_musl(const std::string& name, size_t loader) {
        // LD_LIBRARY_PATH would come first: the guest's, not the host's.
        for (std::optional<size_t> l = loader; l; l = m_objects[*l].loader) {
            const auto& dynamic = m_objects[*l].dynamic;
            const auto& path = dynamic.runpath ? dynamic.runpath : dynamic.rpath;
            if (!path) continue;
            auto dirs = musl_search_dirs(*path, m_objects[*l].origin);
            if (auto found = try_directories(dirs, name)) return found;
        }
        return try_directories(musl_search_dirs(musl_system_path(), ""), name);
    }

    // musl reads its system path from <prefix>/etc/ld-musl-x86_64.path, where <prefix> is the
    // interpreter's path up to its second-to-last '/' ("" for /lib/ld-musl-x86_64.so.1).
    std::string musl_path_file() const {
        const std::string& interpreter = m_out.interpreter;
        size_t last = interpreter.rfind('/');
        size_t prefix =
            last == std::string::npos || last == 0 ? 0 : interpreter.rfind('/', last - 1);
        if (prefix == std::string::npos) prefix = 0;
        return interpreter.substr(0, prefix) + "/etc/ld-musl-x86_64.path";
    }

    std::string musl_system_path() const {
        int fd = ::open(musl_path_file().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return kMuslDefaultPath;
        std::string text;
        char buffer[4096];
        ssize_t n;
        while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
            text.append(buffer, size_t(n));
        ::close(fd);
        return text;
    }

    // musl path_open: elements separated by ':' or newlines; an empty element ends the list.
    // fixup_rpath replaces $ORIGIN and ${ORIGIN} (no other DSTs).
    static std::vector<std::string> musl_search_dirs(const std::string& path,
                                                     const std::string& origin) {
        std::string expanded;
        for (size_t i = 0; i < path.size();) {
            if (!origin.empty() && path.compare(i, 7, "$ORIGIN") == 0) {
                expanded += origin;
                i += 7;
            } else if (!origin.empty() && path.compare(i, 9, "${ORIGIN}") == 0) {
                expanded += origin;
                i += 9;
            } else {
                expanded += path[i++];
            }
        }
        std::vector<std::string> dirs;
        size_t start = expanded.find_first_not_of(":\n");
        while (start != std::string::npos) {
            size_t end = expanded.find_first_of(":\n", start);
            std::string dir = expanded.substr(start, end == std::string::npos ? end : end - start);
            // Relative directories are relative to the guest's working directory: FIXME: not
            // searched.
            if (dir[0] == '/') dirs.push_back(dir);
            start = end == std::string::npos ? end : expanded.find_first_not_of(":\n", end);
        }
        return dirs;
    }

    // glibc's $LIB: Debian's multiarch directory when the host has it, else lib64.
    static std::string glibc_lib_dst() {
        struct stat st;
        if (::stat("/lib/x86_64-linux-gnu", &st) == 0 && S_ISDIR(st.st_mode))
            return "lib/x86_64-linux-gnu";
        return "lib64";
    }

    // glibc is_dst: the name, braced or followed by a character that cannot continue it.
    static size_t dst_length(std::string_view input, std::string_view ref) {
        bool curly = !input.empty() && input[0] == '{';
        if (curly) input.remove_prefix(1);
        if (!starts_with(input, ref)) return 0;
        char next = input.size() > ref.size() ? input[ref.size()] : '\0';
        if (curly) return next == '}' ? ref.size() + 2 : 0;
        if ((next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') ||
            (next >= '0' && next <= '9') || next == '_')
            return 0;
        return ref.size();
    }

    // glibc _dl_dst_substitute: $ORIGIN, $PLATFORM, $LIB (braced or not). An unknown $NAME
    // stays as it is. nullopt when a known DST has no value (the element is dropped).
    std::optional<std::string> expand_glibc_dsts(const std::string& text,
                                                 const SharedObject& object) const {
        std::string result;
        for (size_t i = 0; i < text.size();) {
            if (text[i] != '$') {
                result += text[i++];
                continue;
            }
            std::string_view rest = std::string_view(text).substr(i + 1);
            size_t length;
            if ((length = dst_length(rest, "ORIGIN"))) {
                if (object.origin.empty()) return std::nullopt;
                result += object.origin;
            } else if ((length = dst_length(rest, "PLATFORM"))) {
                result += kPlatform;
            } else if ((length = dst_length(rest, "LIB"))) {
                result += glibc_lib_dst();
            } else {
                result += '$';
                i++;
                continue;
            }
            i += 1 + length;
        }
        return result;
    }

    // glibc fillin_rpath: ':'-separated; DSTs expanded; trailing slashes dropped.
    std::vector<std::string> glibc_search_dirs(const std::string& path,
                                               const SharedObject& object) const {
        std::vector<std::string> dirs;
        for (const auto& element : split(path, ":")) {
            // An empty element means the working directory (the guest's): FIXME: not searched.
            if (element.empty()) continue;
            auto expanded = expand_glibc_dsts(element, object);
            if (!expanded || expanded->empty()) continue;
            std::string dir = *expanded;
            while (dir.size() > 1 && dir.back() == '/')
                dir.pop_back();
            // Relative to the guest's working directory: FIXME: not searched.
            if (dir[0] != '/') continue;
            dirs.push_back(dir);
        }
        return dirs;
    }

    void load_found(Found& found, const std::string& name, size_t loader) {
        load_object(found, name, loader);
        for (auto& variant : found.variants)
            load_object(variant, "", loader);
    }

    // Records a found file as a loaded object (unless the same file is loaded already under
    // another name, which glibc notices by device and inode) and adds it to the image.
    void load_object(Candidate& found, const std::string& name, std::optional<size_t> loader) {
        for (size_t i = 0; i < m_objects.size(); i++) {
            if (m_objects[i].dev == found.facts.dev && m_objects[i].ino == found.facts.ino) {
                if (!name.empty()) add_name(i, name);
                return;
            }
        }
        if (m_objects.size() >= kMaxObjects)
            throw UserError(m_program + ": needs more than " + std::to_string(kMaxObjects) +
                            " shared objects");
        m_entries.add_path(found.path);
        SharedObject object;
        object.path = found.path;
        // $ORIGIN of a library: the directory of the path it was opened by, not resolved
        // (glibc dl-object.c; musl uses the name too).
        object.origin = parent_of(found.path);
        if (!name.empty()) object.names.push_back(name);
        object.dynamic = std::move(found.facts.dynamic);
        object.loader = loader;
        object.dev = found.facts.dev;
        object.ino = found.facts.ino;
        object.required = !loader || m_objects[*loader].required;
        m_objects.push_back(std::move(object));
    }

    // Loads a shared object the program will dlopen by path (an extension module) with its
    // dependencies. Missing dependencies are left out quietly: the program may never load it,
    // and if it does, ld.so in the guest reports the name as it would natively.
    void load_optional_module(const std::string& path) {
        const size_t first = m_objects.size();
        Candidate module{path, inspect_elf(path)};
        if (module.facts.verdict != ElfFacts::Verdict::Usable) return;
        // dlopen from the program: the program is the loader whose RPATH counts.
        load_object(module, "", 0);
        load_optional_dependencies(first);
    }

    // A library the C library dlopens by name.
    void load_optional_library(const std::string& name, size_t loader) {
        if (find_loaded(name)) return;
        const size_t first = m_objects.size();
        std::optional<Found> found;
        try {
            found = search_glibc(name, loader);
        } catch (const UserError&) {
            return;
        }
        if (!found) return;
        load_found(*found, name, loader);
        load_optional_dependencies(first);
    }

    void load_optional_dependencies(size_t first) {
        for (size_t i = first; i < m_objects.size(); i++)
            m_objects[i].required = false;
        load_needed(first);
    }

    bool links(std::string_view prefix) const {
        for (const auto& object : m_objects) {
            if (starts_with(base_name(object.path), prefix)) return true;
            if (object.dynamic.soname && starts_with(*object.dynamic.soname, prefix)) return true;
        }
        return false;
    }

    // --- runtime files ------------------------------------------------------------------------

    // CPython: the interpreter finds its standard library from its own location (Modules/
    // getpath.py: <prefix>/lib/python3.X with os.py as the landmark); an embedding program
    // that links libpython3.X uses the system prefix.
    void add_python() {
        const std::string& program = m_canonical_program;
        std::string version, prefix;
        const std::string name = base_name(program);
        if (is_python_name(name, "python3.")) {
            version = name.substr(std::string("python").size());
            prefix = parent_of(parent_of(program));
        } else {
            for (const auto& object : m_objects) {
                std::string library = base_name(object.path);
                if (!starts_with(library, "libpython3.")) continue;
                size_t end = library.find_first_not_of("0123456789", 11);
                if (end == 11 || end == std::string::npos) continue;
                version = library.substr(3, end - 3);
                prefix = "/usr";
                break;
            }
        }
        if (version.empty()) return;
        const std::string stdlib = join(prefix, "lib/python" + version);
        if (!is_regular_file(stdlib + "/os.py")) {
            m_out.notes.push_back("no Python standard library at " + stdlib +
                                  " (no os.py there): the image has none");
            return;
        }
        std::vector<std::string> modules;
        auto collect_modules = [&](const std::string& path) {
            if (path.ends_with(".so") || path.find(".so.") != std::string::npos)
                modules.push_back(path);
        };
        auto skip_stdlib = [](const std::string& top) {
            if (starts_with(top, "config-3.")) return true;
            return std::any_of(std::begin(kPythonStdlibExcluded), std::end(kPythonStdlibExcluded),
                               [&](const char* excluded) { return top == excluded; });
        };
        m_entries.add_tree(stdlib, skip_stdlib, collect_modules);

        // site-packages as Debian's python and a self-built one look for them.
        for (const std::string& site : {join(prefix, "lib/python" + version + "/site-packages"),
                                        "/usr/local/lib/python" + version + "/dist-packages",
                                        std::string("/usr/lib/python3/dist-packages")}) {
            if (site.starts_with(stdlib + "/") && m_entries.contains(site)) continue;
            if (!directory_has_entries(site)) continue;
            uint64_t bytes = tree_bytes(site, kMaxSitePackagesBytes);
            if (bytes > kMaxSitePackagesBytes) {
                m_out.notes.push_back(site + " is larger than " +
                                      std::to_string(kMaxSitePackagesBytes >> 20) +
                                      " MiB and is not in the image (add it with --file " + site +
                                      " if the program imports from it)");
                continue;
            }
            m_entries.add_tree(site, nullptr, collect_modules);
        }
        for (const auto& module : modules)
            load_optional_module(module);

        // Python asks for C.UTF-8 at startup in the C locale (PEP 538 locale coercion); glibc
        // 2.35+ has it as an installed locale, not a built-in one.
        if (!m_musl) add_c_utf8();
    }

    void add_c_utf8() {
        if (m_entries.add_tree("/usr/lib/locale/C.utf8", nullptr, nullptr))
            m_entries.add_path("/usr/share/locale/locale.alias"); // setlocale reads it too
    }

    static bool is_python_name(const std::string& name, std::string_view prefix) {
        if (!starts_with(name, prefix) || name.size() == prefix.size()) return false;
        return name.find_first_not_of("0123456789", prefix.size()) == std::string::npos;
    }

    void add_runtime_files() {
        if (m_musl) {
            // musl's ld.so reads its search path from the same file in the guest.
            m_entries.add_path(musl_path_file());
        } else {
            if (m_options.ld_cache_path == kLdSoCache) m_entries.add_path(kLdSoCache);
            if (links("libc.so.6")) {
                // glibc dlopens libgcc_s.so.1 to unwind in pthread_exit/pthread_cancel (and
                // aborts without it); Python's daemon threads exit that way at shutdown.
                if (auto libc = find_loaded("libc.so.6"))
                    load_optional_library("libgcc_s.so.1", *libc);
                add_locales();
            }
        }
        if (links("libssl.so") || links("libcrypto.so")) {
            // OpenSSL's trust store and configuration (Debian's OPENSSLDIR is /usr/lib/ssl,
            // whose entries are symlinks into /etc/ssl). Never /etc/ssl/private.
            m_entries.add_tree("/etc/ssl/certs", nullptr, nullptr);
            m_entries.add_tree("/usr/share/ca-certificates", nullptr, nullptr);
            for (const char* path : {"/usr/lib/ssl/openssl.cnf", "/usr/lib/ssl/cert.pem",
                                     "/usr/lib/ssl/certs", "/etc/ssl/openssl.cnf"})
                m_entries.add_path(path);
        }
        if (links("libncurses") || links("libtinfo") || links("libreadline")) {
            for (const char* dir : kTerminfoDirs) {
                for (const char* name : kTerminfoNames)
                    m_entries.add_path(std::string(dir) + "/" + name[0] + "/" + name);
            }
        }
    }

    // Locale data only when the guest environment names a locale other than C/POSIX: glibc's
    // C locale is built in, and gconv modules (~8 MiB) and the locale archive are large, so by
    // default neither goes in. C.UTF-8 is small (its own directory, no gconv).
    void add_locales() {
        bool want_c_utf8 = false;
        std::set<std::string> others;
        for (const auto& variable : m_options.env) {
            size_t equals = variable.find('=');
            if (equals == std::string::npos) continue;
            std::string key = variable.substr(0, equals), value = variable.substr(equals + 1);
            if (key != "LANG" && !starts_with(key, "LC_")) continue;
            if (value.empty() || value == "C" || value == "POSIX") continue;
            if (value == "C.UTF-8" || value == "C.utf8")
                want_c_utf8 = true;
            else
                others.insert(value);
        }
        if (want_c_utf8) add_c_utf8();
        if (others.empty()) return;
        m_entries.add_path("/usr/lib/locale/locale-archive");
        m_entries.add_path("/usr/share/locale/locale.alias");
        for (const auto& locale : others) {
            m_entries.add_tree("/usr/lib/locale/" + locale, nullptr, nullptr);
            // glibc normalizes the codeset part: en_US.UTF-8 -> en_US.utf8.
            size_t dot = locale.find('.');
            if (dot == std::string::npos) continue;
            std::string normal = locale.substr(0, dot + 1);
            for (char c : locale.substr(dot + 1)) {
                if (c == '@') break;
                if (c >= 'A' && c <= 'Z')
                    normal += char(c - 'A' + 'a');
                else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                    normal += c;
            }
            if (size_t at = locale.find('@'); at != std::string::npos) normal += locale.substr(at);
            m_entries.add_tree("/usr/lib/locale/" + normal, nullptr, nullptr);
        }
        m_entries.add_tree("/usr/lib/x86_64-linux-gnu/gconv", nullptr, nullptr);
    }

    const std::string& m_program;
    std::string m_canonical_program;
    const ResolveOptions& m_options;
    Closure& m_out;
    EntrySet m_entries;
    bool m_musl = false;
    LdCache m_cache;
    std::vector<SharedObject> m_objects; // [0] the program, [1] the interpreter, then loads
    std::string m_other_architecture_hint;
};

} // namespace

Closure resolve_closure(const std::string& program, const ResolveOptions& options) {
    Closure closure;
    Resolver(program, options, closure).run();
    return closure;
}

} // namespace wisp::cli
